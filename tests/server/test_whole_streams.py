"""Streams whose answer arrives whole, on the three APIs, through the openai and anthropic SDKs.

A conversation past the REST API's URL budget goes by the web form, which answers in one piece.
The stream still opens at once: its opening events go out before the upstream answers (the
emulator holds the answer until the test releases it), keep-alives follow while it is awaited,
and an upstream failure ends it with the API's own error event.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import anthropic
import openai
import pytest

from aiodynaspark.testing import Emulator, Fault, answer_for
from support.gateway import RAW_TIMEOUT, GatewayFactory, fetch, prompt_of, sse_events

MODEL = "gemini-1.5-flash"
TIMEOUT = 15.0
# About 100 KB in one turn: far past the REST API's URL budget.
LONG_QUESTION = "a question that goes on " + "and on " * 15_000
MESSAGES = [{"role": "user", "content": LONG_QUESTION}]
# max_tokens past the echoed question's tokens, so the answer is not cut.
ENOUGH = 64_000
HI = [{"role": "user", "content": "Hello there"}]
KEEP_ALIVE = b": keep-alive\n\n"
# Reads of a raw answer before a test gives up waiting for a marker.
MAX_READS = 1_000


@asynccontextmanager
async def claude(root: str) -> AsyncIterator[anthropic.AsyncAnthropic]:
    client = anthropic.AsyncAnthropic(base_url=root, api_key="x", max_retries=0, timeout=TIMEOUT)
    try:
        yield client
    finally:
        await client.close()


def whole_answer(emu: Emulator) -> str:
    """What the emulator's web form answered to the conversation it was sent."""
    [request] = emu.requests
    assert request.method == "POST"  # the web form: the answer comes whole
    return answer_for(MODEL, prompt_of(emu))


async def form_holds_the_request(emu: Emulator) -> None:
    """Wait until the web form has the request (and holds its answer: the test holds it)."""
    for _ in range(MAX_READS):
        if emu.requests:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the request never reached the web form")


async def read_until(response: aiohttp.ClientResponse, marker: bytes) -> bytes:
    """Read a raw answer until ``marker`` arrived; fail if the answer ends first."""
    body = b""
    for _ in range(MAX_READS):
        if marker in body:
            return body
        piece = await response.content.readany()
        if not piece:
            break
        body += piece
    raise AssertionError(f"{marker!r} never came; the answer so far: {body[:500]!r}")


async def read_held_stream(
    emu: Emulator,
    start_gateway: GatewayFactory,
    path: str,
    body: dict[str, Any],
    *,
    keep_alive: float,
    marker: bytes,
) -> tuple[str | None, bytes, bytes]:
    """Post a stream the emulator holds the answer of; read until ``marker``, then release.

    Returns:
        The ``x-aiodynaspark-stream`` header, the bytes up to the marker (all sent before
        the web form answered), and the rest.
    """
    emu.hold()
    async with (
        asyncio.timeout(TIMEOUT),
        start_gateway(stream_keep_alive=keep_alive) as root,
        aiohttp.ClientSession(timeout=RAW_TIMEOUT) as session,
        session.post(root + path, json=body) as response,
    ):
        before = await read_until(response, marker)
        await form_holds_the_request(emu)
        emu.release()
        rest = await response.read()
    return response.headers.get("x-aiodynaspark-stream"), before, rest


def names(body: str) -> list[str]:
    """The event names of a stream, runs of deltas counted as one."""
    seen: list[str] = []
    for name, _ in sse_events(body):
        if not (seen and name == seen[-1] and name.endswith("delta")):
            seen.append(name)
    return seen


async def test_a_whole_responses_stream_opens_before_the_web_form_answers(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    emu.hold()
    async with (
        asyncio.timeout(TIMEOUT),
        client.responses.stream(model=MODEL, input=LONG_QUESTION) as stream,
    ):
        events = stream.__aiter__()
        created = await anext(events)
        in_progress = await anext(events)
        # These came before the form could answer: it answers only once released.
        await form_holds_the_request(emu)
        emu.release()
        final = await stream.get_final_response()
    assert created.type == "response.created"
    assert in_progress.type == "response.in_progress"
    assert (created.response.status, created.response.model) == ("in_progress", MODEL)
    assert created.response.id == final.id
    assert final.status == "completed"
    assert final.output_text == whole_answer(emu)


async def test_a_whole_messages_stream_opens_before_the_web_form_answers(
    emu: Emulator, gateway: str
) -> None:
    emu.hold()
    async with (
        asyncio.timeout(TIMEOUT),
        claude(gateway) as sdk,
        sdk.messages.stream(model=MODEL, max_tokens=ENOUGH, messages=MESSAGES) as stream,
    ):
        start = await anext(stream.__aiter__())
        await form_holds_the_request(emu)
        emu.release()
        text = await stream.get_final_text()
    assert start.type == "message_start"
    assert start.message.model == MODEL
    assert text == whole_answer(emu)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/responses", {"model": MODEL, "input": LONG_QUESTION, "stream": True}),
        (
            "/v1/messages",
            {"model": MODEL, "max_tokens": ENOUGH, "messages": MESSAGES, "stream": True},
        ),
    ],
    ids=["responses", "messages"],
)
async def test_a_whole_stream_sends_the_events_of_one_that_streams(
    gateway: str, path: str, body: dict[str, Any]
) -> None:
    whole = await fetch("POST", gateway + path, json=body)
    short = {**body, "input": "Hello there"} if "input" in body else {**body, "messages": HI}
    streamed = await fetch("POST", gateway + path, json=short)
    assert whole.headers["x-aiodynaspark-stream"] == "whole"
    assert "x-aiodynaspark-stream" not in streamed.headers
    assert names(whole.text) == names(streamed.text)


async def test_a_whole_responses_stream_sends_keep_alive_comments_while_it_waits(
    emu: Emulator, start_gateway: GatewayFactory
) -> None:
    body = {"model": MODEL, "input": LONG_QUESTION, "stream": True}
    stream, before, rest = await read_held_stream(
        emu, start_gateway, "/v1/responses", body, keep_alive=0.02, marker=KEEP_ALIVE
    )
    assert stream == "whole"
    assert [name for name, _ in sse_events(before.decode())] == [
        "response.created",
        "response.in_progress",
    ]
    assert names((before + rest).decode())[-1] == "response.completed"


async def test_a_whole_messages_stream_sends_ping_events_while_it_waits(
    emu: Emulator, start_gateway: GatewayFactory
) -> None:
    body = {"model": MODEL, "max_tokens": ENOUGH, "messages": MESSAGES, "stream": True}
    # The opening ping, then at least one sent because the answer is late.
    pings = b'event: ping\ndata: {"type":"ping"}\n\n' * 2
    stream, before, rest = await read_held_stream(
        emu, start_gateway, "/v1/messages", body, keep_alive=0.02, marker=pings
    )
    assert stream == "whole"
    opening = [name for name, _ in sse_events(before.decode())]
    assert opening[:2] == ["message_start", "ping"]
    assert set(opening[2:]) == {"ping"}
    assert names((before + rest).decode())[-1] == "message_stop"


async def test_a_whole_chat_stream_opens_with_a_comment_before_the_web_form_answers(
    emu: Emulator, start_gateway: GatewayFactory
) -> None:
    body = {"model": MODEL, "messages": MESSAGES, "stream": True}
    # No keep-alive is due in the test's time: only the opening comment can come.
    stream, before, rest = await read_held_stream(
        emu, start_gateway, "/v1/chat/completions", body, keep_alive=600, marker=KEEP_ALIVE
    )
    assert stream == "whole"
    assert before == KEEP_ALIVE
    assert (before + rest).endswith(b"data: [DONE]\n\n")


async def test_a_whole_responses_stream_whose_web_form_fails_ends_with_response_failed(
    emu: Emulator, gateway: str
) -> None:
    emu.push(Fault.missing_response())
    body = {"model": MODEL, "input": LONG_QUESTION, "stream": True}
    answer = await fetch("POST", f"{gateway}/v1/responses", json=body)
    events = sse_events(answer.text)
    assert answer.status == 200
    assert [name for name, _ in events] == [
        "response.created",
        "response.in_progress",
        "response.failed",
    ]
    failed = events[-1][1]["response"]
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "server_error" and failed["error"]["message"]


async def test_a_whole_responses_stream_refused_for_its_rate_says_so_in_response_failed(
    emu: Emulator, gateway: str
) -> None:
    emu.push(Fault.rate_limited(retry_after=1.0))
    body = {"model": MODEL, "input": LONG_QUESTION, "stream": True}
    answer = await fetch("POST", f"{gateway}/v1/responses", json=body)
    [*_, (name, failed)] = sse_events(answer.text)
    assert name == "response.failed"
    assert failed["response"]["error"]["code"] == "rate_limit_exceeded"


async def test_a_failed_whole_responses_stream_gives_the_sdk_no_final_response(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    emu.push(Fault.missing_response())
    async with (
        asyncio.timeout(TIMEOUT),
        client.responses.stream(model=MODEL, input=LONG_QUESTION) as stream,
    ):
        with pytest.raises(RuntimeError, match="response.completed"):
            await stream.get_final_response()


async def test_a_whole_messages_stream_whose_web_form_fails_ends_with_an_error_event(
    emu: Emulator, gateway: str
) -> None:
    emu.push(Fault.missing_response())
    body = {"model": MODEL, "max_tokens": ENOUGH, "messages": MESSAGES, "stream": True}
    answer = await fetch("POST", f"{gateway}/v1/messages", json=body)
    events = sse_events(answer.text)
    assert answer.status == 200
    assert [name for name, _ in events] == ["message_start", "ping", "error"]
    assert events[-1][1]["error"]["type"] == "api_error"


async def test_a_failed_whole_messages_stream_raises_in_the_sdk(
    emu: Emulator, gateway: str
) -> None:
    emu.push(Fault.missing_response())
    with pytest.raises(anthropic.APIStatusError):
        async with (
            asyncio.timeout(TIMEOUT),
            claude(gateway) as sdk,
            sdk.messages.stream(model=MODEL, max_tokens=ENOUGH, messages=MESSAGES) as stream,
        ):
            await stream.get_final_message()


@pytest.mark.parametrize(
    ("path", "body", "opening"),
    [
        (
            "/v1/responses",
            {"model": MODEL, "input": LONG_QUESTION, "stream": True},
            b"event: response.in_progress",
        ),
        (
            "/v1/messages",
            {"model": MODEL, "max_tokens": ENOUGH, "messages": MESSAGES, "stream": True},
            b"event: ping",
        ),
    ],
    ids=["responses", "messages"],
)
async def test_a_caller_who_leaves_a_whole_stream_aborts_the_web_form_request(
    emu: Emulator, start_gateway: GatewayFactory, path: str, body: dict[str, Any], opening: bytes
) -> None:
    emu.hold()
    async with (
        asyncio.timeout(TIMEOUT),
        # No keep-alive nor upstream timeout in the test's time: only the hang-up ends it.
        start_gateway(stream_keep_alive=3600, timeout=3600) as gateway,
        aiohttp.ClientSession(timeout=RAW_TIMEOUT) as session,
    ):
        async with session.post(gateway + path, json=body) as response:
            await read_until(response, opening)
            await form_holds_the_request(emu)
        # Hung up while the form held the answer: the gateway lets the upstream go.
        for _ in range(MAX_READS // 2):
            if emu.disconnects:
                break
            await asyncio.sleep(0.01)
        # Counted before the gateway stops (stopping would abort the request too).
        disconnects = emu.disconnects
    emu.release()
    assert disconnects == 1
