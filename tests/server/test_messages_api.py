"""``/v1/messages`` through the official anthropic SDK, over a real socket, before the emulator."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anthropic
import pytest

from aiodynaspark.testing import Emulator, Fault, answer_for
from support.gateway import GatewayFactory, fetch, prompt_of, sse_events
from support.media import PNG

MODEL = "gemini-1.5-flash"
TIMEOUT = 15.0
HI = [{"role": "user", "content": "Hello there"}]
ADD = {
    "name": "add",
    "description": "Add two numbers.",
    "input_schema": {
        "type": "object",
        "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
        "required": ["a", "b"],
    },
}
CALL = '{"tool_calls": [{"name": "add", "arguments": {"a": 2, "b": 3}}]}'


@asynccontextmanager
async def claude(root: str, api_key: str = "x") -> AsyncIterator[anthropic.AsyncAnthropic]:
    client = anthropic.AsyncAnthropic(
        base_url=root, api_key=api_key, max_retries=0, timeout=TIMEOUT
    )
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def sdk(gateway: str) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with claude(gateway) as client:
        yield client


async def test_create_answers_one_text_block(sdk: anthropic.AsyncAnthropic) -> None:
    message = await sdk.messages.create(model=MODEL, max_tokens=100, messages=HI)
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == answer_for(MODEL, "Hello there")
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0


async def test_system_blocks_become_the_system_prompt(
    emu: Emulator, sdk: anthropic.AsyncAnthropic
) -> None:
    await sdk.messages.create(
        model=MODEL,
        max_tokens=100,
        system=[{"type": "text", "text": "Be brief."}],
        messages=HI,
    )
    assert prompt_of(emu).startswith("System: Be brief.\nUser: Hello there")


async def test_a_base64_image_reaches_the_service(
    emu: Emulator, sdk: anthropic.AsyncAnthropic
) -> None:
    import base64

    image = {
        "type": "image",
        "source": {
            "type": "base64",
            "media_type": "image/png",
            "data": base64.b64encode(PNG).decode(),
        },
    }
    message = await sdk.messages.create(
        model=MODEL,
        max_tokens=100,
        messages=[{"role": "user", "content": [{"type": "text", "text": "What?"}, image]}],
    )
    assert emu.requests[-1].file is not None
    assert message.content[0].text == answer_for(MODEL, "What?", PNG)  # type: ignore[union-attr]


async def test_max_tokens_is_required(emu: Emulator, gateway: str) -> None:
    answer = await fetch("POST", f"{gateway}/v1/messages", json={"model": MODEL, "messages": HI})
    assert answer.status == 400
    body = answer.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == "invalid_request_error"
    assert "max_tokens" in body["error"]["message"]
    assert not emu.requests


async def test_stream_accumulates_to_the_same_text(sdk: anthropic.AsyncAnthropic) -> None:
    deltas = []
    async with asyncio.timeout(TIMEOUT):
        async with sdk.messages.stream(
            model=MODEL, max_tokens=100, messages=[{"role": "user", "content": "a b c d"}]
        ) as stream:
            async for text in stream.text_stream:
                deltas.append(text)
            final = await stream.get_final_message()
    assert final.content[0].text == "".join(deltas) == answer_for(MODEL, "a b c d")  # type: ignore[union-attr]
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0


async def test_stream_events_come_in_anthropic_order(gateway: str) -> None:
    body = {"model": MODEL, "max_tokens": 50, "messages": HI, "stream": True}
    answer = await fetch("POST", f"{gateway}/v1/messages", json=body)
    names = [name for name, _ in sse_events(answer.text)]
    deltas = names.count("content_block_delta")
    assert deltas >= 2
    assert names == [
        "message_start",
        "ping",
        "content_block_start",
        *["content_block_delta"] * deltas,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]


async def test_cut_stream_ends_with_an_error_event(emu: Emulator, gateway: str) -> None:
    emu.push(Fault.cut_stream(after=2))
    body = {"model": MODEL, "max_tokens": 50, "messages": HI, "stream": True}
    answer = await fetch("POST", f"{gateway}/v1/messages", json=body)
    events = sse_events(answer.text)
    names = [name for name, _ in events]
    assert "content_block_delta" in names
    assert names[-1] == "error" and "message_stop" not in names
    assert events[-1][1]["error"]["type"] == "api_error"


async def test_cut_stream_raises_in_the_sdk(emu: Emulator, sdk: anthropic.AsyncAnthropic) -> None:
    emu.push(Fault.cut_stream(after=2))
    with pytest.raises(anthropic.APIStatusError):
        async with asyncio.timeout(TIMEOUT):
            async with sdk.messages.stream(model=MODEL, max_tokens=50, messages=HI) as stream:
                await stream.get_final_message()


async def test_a_tool_round_trip(emu: Emulator, sdk: anthropic.AsyncAnthropic) -> None:
    emu.push_reply(CALL, '{"content": "It is 5."}')
    question = {"role": "user", "content": "What is 2 + 3?"}
    first = await sdk.messages.create(model=MODEL, max_tokens=200, tools=[ADD], messages=[question])
    assert first.stop_reason == "tool_use"
    [use] = first.content
    assert use.type == "tool_use" and use.name == "add" and use.input == {"a": 2, "b": 3}
    result = {"type": "tool_result", "tool_use_id": use.id, "content": "5"}
    second = await sdk.messages.create(
        model=MODEL,
        max_tokens=200,
        tools=[ADD],
        messages=[
            question,
            {"role": "assistant", "content": first.content},
            {"role": "user", "content": [result]},
        ],
    )
    assert second.content[0].text == "It is 5."  # type: ignore[union-attr]
    assert use.id in prompt_of(emu)


async def test_a_streamed_tool_call_accumulates_its_input(
    emu: Emulator, sdk: anthropic.AsyncAnthropic
) -> None:
    emu.push_reply(CALL)
    async with asyncio.timeout(TIMEOUT):
        async with sdk.messages.stream(
            model=MODEL, max_tokens=200, tools=[ADD], messages=HI
        ) as stream:
            final = await stream.get_final_message()
    [use] = final.content
    assert use.type == "tool_use" and use.input == {"a": 2, "b": 3}
    assert final.stop_reason == "tool_use"


async def test_a_stop_sequence_cuts_and_is_named(
    emu: Emulator, sdk: anthropic.AsyncAnthropic
) -> None:
    emu.push_reply("one two. three")
    message = await sdk.messages.create(
        model=MODEL, max_tokens=100, stop_sequences=["."], messages=HI
    )
    assert message.content[0].text == "one two"  # type: ignore[union-attr]
    assert (message.stop_reason, message.stop_sequence) == ("stop_sequence", ".")


async def test_a_streamed_stop_sequence_cuts_and_is_named(
    emu: Emulator, sdk: anthropic.AsyncAnthropic
) -> None:
    emu.push_reply("one two END three four")
    async with asyncio.timeout(TIMEOUT):
        async with sdk.messages.stream(
            model=MODEL, max_tokens=100, stop_sequences=["END"], messages=HI
        ) as stream:
            final = await stream.get_final_message()
    assert final.content[0].text == "one two "  # type: ignore[union-attr]
    assert (final.stop_reason, final.stop_sequence) == ("stop_sequence", "END")


async def test_max_tokens_cut_is_named(emu: Emulator, sdk: anthropic.AsyncAnthropic) -> None:
    emu.push_reply("word " * 200)
    message = await sdk.messages.create(model=MODEL, max_tokens=5, messages=HI)
    assert message.stop_reason == "max_tokens"


async def test_count_tokens_gives_the_documented_estimate(
    emu: Emulator, sdk: anthropic.AsyncAnthropic
) -> None:
    counted = await sdk.messages.count_tokens(
        model=MODEL, messages=[{"role": "user", "content": "Hello, world"}]
    )
    assert counted.input_tokens == 3  # 12 ASCII characters / 4
    assert not emu.requests


async def test_errors_use_anthropic_shape(sdk: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as caught:
        await sdk.messages.create(model="no-such-model", max_tokens=10, messages=HI)
    body = caught.value.body
    assert isinstance(body, dict) and body["type"] == "error"
    assert body["error"]["type"] == "not_found_error"


async def test_the_key_is_accepted_as_x_api_key(start_gateway: GatewayFactory) -> None:
    async with start_gateway(api_key="sesame") as root, claude(root, "sesame") as client:
        message = await client.messages.create(model=MODEL, max_tokens=10, messages=HI)
    assert message.content


async def test_a_wrong_key_is_a_401_in_anthropic_shape(start_gateway: GatewayFactory) -> None:
    async with start_gateway(api_key="sesame") as root, claude(root, "wrong") as client:
        with pytest.raises(anthropic.AuthenticationError) as caught:
            await client.messages.create(model=MODEL, max_tokens=10, messages=HI)
    assert caught.value.body["error"]["type"] == "authentication_error"  # type: ignore[index]


@pytest.mark.parametrize(
    ("path", "options", "headers", "body", "status", "kind"),
    [
        # the body limit (middleware, before the app)
        ("/v1/messages", {"max_body_bytes": 64}, {}, b"x" * 65, 413, "request_too_large"),
        # the key check (middleware)
        ("/v1/messages", {"api_key": "sesame"}, {}, b"{}", 401, "authentication_error"),
        # the Host check (middleware)
        ("/v1/messages", {}, {"host": "rebind.example"}, b"{}", 400, "invalid_request_error"),
        # routing: an unknown path under the API
        ("/v1/messages/nope", {}, {}, b"{}", 404, "not_found_error"),
    ],
)
async def test_every_layer_answers_messages_errors_in_anthropic_shape(
    start_gateway: GatewayFactory,
    emu: Emulator,
    path: str,
    options: dict[str, Any],
    headers: dict[str, str],
    body: bytes,
    status: int,
    kind: str,
) -> None:
    sent = {"content-type": "application/json", **headers}
    async with start_gateway(**options) as root:
        answer = await fetch("POST", root + path, data=body, headers=sent)
        openai_path = await fetch("POST", root + "/v1/chat/completions", data=body, headers=sent)
    assert answer.status == status
    error = answer.json()
    assert error["type"] == "error" and error["error"]["type"] == kind
    assert int(answer.headers["content-length"]) == len(answer.body)
    # OpenAI's routes keep OpenAI's shape.
    assert openai_path.status >= 400
    assert "type" not in openai_path.json() and "message" in openai_path.json()["error"]
    assert not emu.requests
