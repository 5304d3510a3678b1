"""The chat engine: plain, streamed and shaped calls share one provider choice and fallback."""

import asyncio

import pytest

from aiodynaspark import AsyncClient, InvalidRequestError, ServiceUnavailableError
from aiodynaspark.client import ChatCompletion, ChatCompletionChunk
from aiodynaspark.testing import Emulator, Fault
from support.tools import WEATHER, WEATHER_CALL, WEATHER_QUESTION

TIMEOUT = 10.0
USER = [{"role": "user", "content": "hi"}]


@pytest.fixture
async def client(emu: Emulator) -> AsyncClient:
    async with AsyncClient(base_url=emu.url, max_retries=0) as c:
        yield c  # type: ignore[misc]


async def test_a_tools_call_falls_back_as_a_plain_one_does(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push(Fault.status(503))
    emu.push_reply(WEATHER_CALL)
    async with asyncio.timeout(TIMEOUT):
        done = await client.chat.completions.create(
            messages=WEATHER_QUESTION, tools=[WEATHER], provider=["web", "api"]
        )
    assert done.provider == "DynasparkAPI"
    assert done.choices[0].finish_reason == "tool_calls"
    assert [r.path for r in emu.requests] == ["/generate_response", "/api/generate_response"]


async def test_a_streamed_tools_call_falls_back_before_its_first_piece(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push(Fault.status(503))
    emu.push_reply(WEATHER_CALL)
    async with asyncio.timeout(TIMEOUT):
        stream = await client.chat.completions.create(
            messages=WEATHER_QUESTION, tools=[WEATHER], provider=["api", "web"], stream=True
        )
        chunks = [chunk async for chunk in stream]
    assert {chunk.provider for chunk in chunks} == {"Dynaspark"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_a_shaped_call_names_every_failed_attempt_as_a_plain_one_does(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push(Fault.status(503), Fault.status(502, "down"))
    with pytest.raises(ServiceUnavailableError, match=r"Every provider failed \(2 attempts\)"):
        await asyncio.wait_for(
            client.chat.completions.create(messages=USER, stop=["x"], provider=["web", "api"]),
            TIMEOUT,
        )


async def test_a_plain_answer_without_counts_carries_the_estimated_usage(
    client: AsyncClient,
) -> None:
    done = await asyncio.wait_for(client.chat.completions.create(messages=USER), TIMEOUT)
    assert done.usage is not None
    assert done.usage.prompt_tokens == 1  # "hi": one token by the estimate
    assert done.usage.total_tokens == done.usage.prompt_tokens + done.usage.completion_tokens


async def test_a_plain_completion_is_what_validating_its_given_fields_builds(
    client: AsyncClient,
) -> None:
    done = await asyncio.wait_for(client.chat.completions.create(messages=USER), TIMEOUT)
    assert done.usage is not None
    validated = ChatCompletion.model_validate(
        {
            "id": done.id,
            "created": done.created,
            "model": done.model,
            "choices": [{"message": {"content": done.choices[0].message.content}}],
            "usage": done.usage.model_dump(),
            "provider": done.provider,
        }
    )
    assert validated == done
    assert repr(validated) == repr(done)
    assert validated.model_dump_json() == done.model_dump_json()
    for built, checked in [
        (done, validated),
        (done.choices[0], validated.choices[0]),
        (done.choices[0].message, validated.choices[0].message),
        (done.usage, validated.usage),
    ]:
        assert built.model_fields_set == checked.model_fields_set
        assert built.model_extra == checked.model_extra == {}


async def test_plain_stream_chunks_are_what_validating_their_given_fields_builds(
    client: AsyncClient,
) -> None:
    async with asyncio.timeout(TIMEOUT):
        stream = await client.chat.completions.create(messages=USER, stream=True)
        chunks = [chunk async for chunk in stream]
    assert len(chunks) > 2
    for chunk in chunks:
        choice = chunk.choices[0]
        given_choice: dict[str, object] = {"delta": choice.delta.model_dump(exclude_unset=True)}
        if choice.finish_reason is not None:
            given_choice["finish_reason"] = choice.finish_reason
        validated = ChatCompletionChunk.model_validate(
            {
                "id": chunk.id,
                "created": chunk.created,
                "model": chunk.model,
                "choices": [given_choice],
                "provider": chunk.provider,
            }
        )
        assert validated == chunk
        assert validated.model_dump_json() == chunk.model_dump_json()
        for built, checked in [
            (chunk, validated),
            (choice, validated.choices[0]),
            (choice.delta, validated.choices[0].delta),
        ]:
            assert built.model_fields_set == checked.model_fields_set
            assert built.model_extra == checked.model_extra == {}
    assert [c.choices[0].delta.model_fields_set for c in chunks[:2]] == [{"role", "content"}] * 2
    assert chunks[-1].choices[0].delta.model_fields_set == set()


async def test_a_provider_set_on_the_client_serves_the_next_call(
    client: AsyncClient, emu: Emulator
) -> None:
    client.provider = "api"
    done = await asyncio.wait_for(client.chat.completions.create(messages=USER), TIMEOUT)
    assert done.provider == "DynasparkAPI"
    assert [r.path for r in emu.requests] == ["/api/generate_response"]


def test_an_unknown_provider_set_on_the_client_is_refused(emu: Emulator) -> None:
    client = AsyncClient(base_url=emu.url)
    with pytest.raises(InvalidRequestError, match="Unknown provider"):
        client.provider = "openai"
    assert client.provider is None


async def test_an_empty_streamed_answer_ends_with_its_final_chunk_alone(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push_reply("")
    async with asyncio.timeout(TIMEOUT):
        stream = await client.chat.completions.create(messages=USER, stream=True, provider="api")
        chunks = [chunk async for chunk in stream]
    assert [chunk.choices[0].finish_reason for chunk in chunks] == ["stop"]
    assert chunks[0].choices[0].delta.content is None
