"""``/v1/responses`` through the official openai SDK, over a real socket, before the emulator."""

import asyncio

import openai
import pytest

from aiodynaspark.testing import Emulator, Fault, answer_for
from support.gateway import GatewayFactory, fetch, prompt_of, sse_events
from support.media import PNG, data_uri

MODEL = "gemini-1.5-flash"
STREAM_TIMEOUT = 15.0


async def test_create_answers_the_text_as_one_message_item(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    response = await client.responses.create(model=MODEL, input="Hello there")
    assert response.status == "completed"
    assert response.output_text == answer_for(MODEL, "Hello there")
    [item] = response.output
    assert item.type == "message" and item.role == "assistant"
    assert response.id.startswith("resp_")


async def test_usage_is_always_present_and_adds_up(client: openai.AsyncOpenAI) -> None:
    response = await client.responses.create(model=MODEL, input="count these words please")
    usage = response.usage
    assert usage is not None
    assert usage.input_tokens > 0 and usage.output_tokens > 0
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens


async def test_instructions_become_the_system_prompt(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    await client.responses.create(model=MODEL, input="Hi", instructions="Be brief.")
    assert prompt_of(emu).startswith("System: Be brief.\nUser: Hi\n")


async def test_input_items_become_the_conversation(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    await client.responses.create(
        model=MODEL,
        input=[
            {"role": "developer", "content": "Answer in French."},
            {"role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Salut", "annotations": []}],
            },
            {"role": "user", "content": "And again"},
        ],
    )
    lines = prompt_of(emu).splitlines()
    assert lines[1:] == ["User: Hi", "Assistant: Salut", "User: And again", "Assistant:"]


async def test_an_input_image_reaches_the_service(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    response = await client.responses.create(
        model=MODEL,
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "What is it?"},
                    {"type": "input_image", "image_url": data_uri(PNG), "detail": "auto"},
                ],
            }
        ],
    )
    assert emu.requests[-1].file is not None
    assert response.output_text == answer_for(MODEL, "What is it?", PNG)


async def test_an_image_by_file_id_is_refused_before_any_request(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    image = {"type": "input_image", "file_id": "file-123", "detail": "auto"}
    with pytest.raises(openai.BadRequestError) as caught:
        await client.responses.create(model=MODEL, input=[{"role": "user", "content": [image]}])
    assert "file_id" in caught.value.message
    assert not emu.requests


async def test_an_unsupported_input_item_is_refused_by_name(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await client.responses.create(
            model=MODEL, input=[{"type": "item_reference", "id": "msg_1"}]
        )
    assert "item_reference" in caught.value.message
    assert not emu.requests


async def test_stream_accumulates_to_the_same_text(client: openai.AsyncOpenAI) -> None:
    prompt = "stream these few words"
    deltas = []
    async with asyncio.timeout(STREAM_TIMEOUT):
        async with client.responses.stream(model=MODEL, input=prompt) as stream:
            async for event in stream:
                if event.type == "response.output_text.delta":
                    deltas.append(event.delta)
            final = await stream.get_final_response()
    assert final.status == "completed"
    assert final.output_text == "".join(deltas) == answer_for(MODEL, prompt)
    assert final.usage is not None and final.usage.total_tokens > 0


async def test_stream_events_come_in_order_with_consecutive_sequence_numbers(
    gateway: str,
) -> None:
    body = {"model": MODEL, "input": "a b c", "stream": True}
    answer = await fetch("POST", f"{gateway}/v1/responses", json=body)
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = sse_events(answer.text)
    names = [name for name, _ in events]
    deltas = names.count("response.output_text.delta")
    assert deltas >= 2
    assert names == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * deltas,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [data["sequence_number"] for _, data in events] == list(range(len(events)))
    assert all(data["type"] == name for name, data in events)


async def test_cut_stream_ends_with_response_failed(emu: Emulator, gateway: str) -> None:
    emu.push(Fault.cut_stream(after=2))
    body = {"model": MODEL, "input": "a fairly long prompt to cut", "stream": True}
    answer = await fetch("POST", f"{gateway}/v1/responses", json=body)
    events = sse_events(answer.text)
    names = [name for name, _ in events]
    assert "response.output_text.delta" in names
    assert names[-1] == "response.failed"
    assert "response.completed" not in names
    failed = events[-1][1]["response"]
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "server_error"


async def test_cut_stream_gives_the_sdk_no_final_response(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    emu.push(Fault.cut_stream(after=2))
    async with asyncio.timeout(STREAM_TIMEOUT):
        async with client.responses.stream(model=MODEL, input="cut me short please") as stream:
            with pytest.raises(RuntimeError, match="response.completed"):
                await stream.get_final_response()


async def test_previous_response_id_continues_the_conversation(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    first = await client.responses.create(model=MODEL, input="First", instructions="Be brief.")
    await client.responses.create(model=MODEL, input="Second", previous_response_id=first.id)
    # The earlier turn is there; its instructions are not carried over, as at OpenAI.
    assert prompt_of(emu) == (
        f"User: First\nAssistant: {first.output_text}\nUser: Second\nAssistant:"
    )


async def test_a_streamed_answer_can_be_continued(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    async with asyncio.timeout(STREAM_TIMEOUT):
        async with client.responses.stream(model=MODEL, input="One") as stream:
            first = await stream.get_final_response()
    await client.responses.create(model=MODEL, input="Two", previous_response_id=first.id)
    assert f"Assistant: {first.output_text}\nUser: Two" in prompt_of(emu)


async def test_unknown_previous_response_id_is_a_404_before_any_request(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        await client.responses.create(model=MODEL, input="Hi", previous_response_id="resp_nope")
    assert caught.value.code == "previous_response_not_found"
    assert caught.value.param == "previous_response_id"
    assert not emu.requests


async def test_a_stored_response_can_be_retrieved(client: openai.AsyncOpenAI) -> None:
    created = await client.responses.create(model=MODEL, input="Keep me")
    retrieved = await client.responses.retrieve(created.id)
    assert retrieved.id == created.id
    assert retrieved.output_text == created.output_text


async def test_a_deleted_response_is_gone(client: openai.AsyncOpenAI) -> None:
    created = await client.responses.create(model=MODEL, input="Forget me")
    await client.responses.delete(created.id)
    with pytest.raises(openai.NotFoundError):
        await client.responses.retrieve(created.id)


async def test_store_false_keeps_nothing(client: openai.AsyncOpenAI) -> None:
    created = await client.responses.create(model=MODEL, input="Off the record", store=False)
    assert created.store is False
    with pytest.raises(openai.NotFoundError):
        await client.responses.retrieve(created.id)


async def test_unknown_id_is_a_404_in_openai_shape(gateway: str) -> None:
    for method in ("GET", "DELETE"):
        answer = await fetch(method, f"{gateway}/v1/responses/resp_unknown")
        assert answer.status == 404
        error = answer.json()["error"]
        assert set(error) == {"message", "type", "param", "code"}
        assert "resp_unknown" in error["message"]


async def test_a_response_echoes_the_request_settings(client: openai.AsyncOpenAI) -> None:
    response = await client.responses.create(
        model=MODEL,
        input="Hi",
        temperature=0.5,
        top_p=0.9,
        max_output_tokens=100,
        metadata={"run": "7"},
    )
    assert (response.temperature, response.top_p) == (0.5, 0.9)
    assert response.max_output_tokens == 100
    assert response.metadata == {"run": "7"}


async def test_sampling_reaches_the_service(emu: Emulator, client: openai.AsyncOpenAI) -> None:
    await client.responses.create(model=MODEL, input="Hi", temperature=0.25)
    assert emu.requests[-1].query["temperature"] == "0.25"


async def test_too_many_input_items_are_refused_before_any_request(
    emu: Emulator, start_gateway: GatewayFactory
) -> None:
    items = [{"role": "user", "content": "hi"}] * 3
    async with start_gateway(max_messages=2) as root:
        answer = await fetch("POST", f"{root}/v1/responses", json={"input": items})
    assert answer.status == 400
    assert "max_messages" in answer.json()["error"]["message"]
    assert not emu.requests
