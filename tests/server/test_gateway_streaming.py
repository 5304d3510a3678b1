"""A stream whose client leaves: the gateway stops reading and hangs up on the upstream.

The upstream here is a bare asyncio server that streams events slowly, for as long as
anyone reads, and records when the gateway closes its connection.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from aiodynaspark.client import ChatCompletionChunk
from aiodynaspark.server import create_app
from support.gateway import run_gateway

EVENT_GAP = 0.05
MAX_EVENTS = 400  # 20 s of events: far longer than any test waits
TIMEOUT = 10.0


class SlowUpstream:
    """Answers every request with an endless-looking SSE stream; notes each hang-up."""

    def __init__(self) -> None:
        self.hung_up = asyncio.Event()
        self.requests = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        self.requests += 1
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
        )
        # The gateway never sends more after its request: EOF here means it hung up.
        watch = asyncio.create_task(reader.read())
        try:
            for index in range(MAX_EVENTS):
                data = json.dumps({"choices": [{"delta": {"content": f"w{index} "}}]})
                writer.write(f"data: {data}\n\n".encode())
                await writer.drain()
                done, _ = await asyncio.wait({watch}, timeout=EVENT_GAP)
                if done:
                    self.hung_up.set()
                    return
        except ConnectionError:
            self.hung_up.set()
        finally:
            watch.cancel()
            writer.close()


@pytest.fixture
async def slow_gateway() -> AsyncIterator[tuple[SlowUpstream, str]]:
    upstream = SlowUpstream()
    async with upstream as url, run_gateway(create_app(base_url=url, max_retries=0)) as gateway:
        yield upstream, gateway


async def read_then_leave(gateway: str, prompt: str, count: int) -> list[dict[str, Any]]:
    """Ask the gateway for a stream, read its first ``count`` events, then hang up."""
    body = {"messages": [{"role": "user", "content": prompt}], "stream": True}
    events: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as session:
        response = await session.post(f"{gateway}/v1/chat/completions", json=body)
        assert response.status == 200
        async with asyncio.timeout(TIMEOUT):
            async for line in response.content:
                if line.startswith(b"data: "):
                    events.append(json.loads(line.removeprefix(b"data: ")))
                if len(events) == count:
                    break
        response.close()  # leave, mid-stream, without reading the rest
    return events


async def test_a_client_that_leaves_mid_stream_releases_the_upstream(
    slow_gateway: tuple[SlowUpstream, str],
) -> None:
    upstream, gateway = slow_gateway
    await read_then_leave(gateway, "Tell me everything", 3)
    await asyncio.wait_for(upstream.hung_up.wait(), TIMEOUT)
    assert upstream.requests == 1


async def test_events_keep_coming_while_the_client_reads(
    slow_gateway: tuple[SlowUpstream, str],
) -> None:
    upstream, gateway = slow_gateway
    events = await read_then_leave(gateway, "Go on", 6)
    texts = [event["choices"][0]["delta"].get("content") or "" for event in events]
    assert "".join(texts).split() == [f"w{index}" for index in range(6)]
    assert upstream.requests == 1


async def never_leaves() -> dict[str, Any]:
    """An ASGI ``receive`` whose client never leaves."""
    await asyncio.Event().wait()
    return {"type": "http.disconnect"}


async def no_closing_events() -> bytes:
    return b""


async def test_a_stream_ends_even_when_its_closing_error_cannot_be_built() -> None:
    from aiodynaspark.client import AsyncStream
    from aiodynaspark.server.core._streaming import EventStream

    async def broken() -> Any:
        raise RuntimeError("upstream broke")
        yield  # an async generator

    def unencodable(exc: Exception) -> bytes:
        raise ValueError("cannot encode")

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    stream = AsyncStream(broken())
    response = EventStream(b"data: first\n\n", stream, bytes, no_closing_events, unencodable)
    async with asyncio.timeout(5):
        await response({"type": "http"}, never_leaves, send)
    assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}


async def test_a_stalled_client_holds_the_gateway_to_its_read_ahead_then_gets_every_event() -> None:
    # The client takes the first event, then stops reading, as a stalled browser does: the
    # ASGI server's send then waits. The gateway may read ahead of it only so far (two
    # batches: the one the blocked send holds, and one waiting), never the whole upstream.
    # Once the client reads again, every event reaches it, in order, and the stream ends.
    from aiodynaspark.client import AsyncStream
    from aiodynaspark.server.core._streaming import _READ_AHEAD, EventStream

    upstream_chunks = 20 * _READ_AHEAD
    pulled = 0
    closed = asyncio.Event()

    async def endless() -> AsyncIterator[bytes]:
        nonlocal pulled
        try:
            while pulled < upstream_chunks:
                pulled += 1
                yield b"data: piece\n\n"
        finally:
            closed.set()

    sent: list[dict[str, Any]] = []
    stalled = asyncio.Event()
    resumed = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if len(sent) == 3:  # the start and the first event went out; the client stalls now
            stalled.set()
            await resumed.wait()

    stream = AsyncStream(endless())
    response = EventStream(b"data: first\n\n", stream, bytes, no_closing_events, bytes)
    serving = asyncio.create_task(response({"type": "http"}, never_leaves, send))
    async with asyncio.timeout(TIMEOUT):
        await stalled.wait()
        for _ in range(100):  # bounded: the reader runs until it must wait for room
            await asyncio.sleep(0)
        assert _READ_AHEAD <= pulled <= 2 * _READ_AHEAD + 1, pulled
        resumed.set()
        await serving
        await closed.wait()
    body = b"".join(message.get("body", b"") for message in sent)
    assert body == b"data: first\n\n" + b"data: piece\n\n" * upstream_chunks
    assert sent[-1]["more_body"] is False
    assert all(message.get("more_body", True) for message in sent[:-1])


async def test_an_event_is_sent_as_soon_as_it_is_read_not_with_the_next() -> None:
    # A paced upstream: the second event is not even made until the first has gone out.
    from aiodynaspark.client import AsyncStream
    from aiodynaspark.server.core._streaming import EventStream

    first_out = asyncio.Event()

    async def paced() -> AsyncIterator[bytes]:
        yield b"data: one\n\n"
        await first_out.wait()
        yield b"data: two\n\n"

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message.get("body") == b"data: one\n\n":
            first_out.set()

    response = EventStream(b"", AsyncStream(paced()), bytes, no_closing_events, bytes)
    async with asyncio.timeout(TIMEOUT):
        await response({"type": "http"}, never_leaves, send)
    assert b"".join(message.get("body", b"") for message in sent) == (b"data: one\n\ndata: two\n\n")


# A chunk unlike the template's in one field, then one unlike both (the field's other value):
# every field of the three chunk models but the text and the list of choices (and
# ``object``, which has one value), and an extra field.
USAGE = {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
UNLIKE_THE_TEMPLATE = [
    ("chunk", "id", "chatcmpl-other", "chatcmpl-third"),
    ("chunk", "created", 1, 2),
    ("chunk", "model", "gemini-2.0-flash", "gemini-2.0-flash-lite"),
    ("chunk", "provider", "DynasparkAPI", "Other"),
    ("chunk", "usage", USAGE, {**USAGE, "total_tokens": 4}),
    ("chunk", "extra_field", "kept", "other"),
    ("choice", "index", 1, 2),
    ("choice", "finish_reason", "length", "stop"),
    ("choice", "extra_field", "kept", "other"),
    ("delta", "role", "assistant", "assistant"),
    (
        "delta",
        "tool_calls",
        [{"index": 0, "id": "call_1", "function": {"name": "f"}}],
        [{"index": 0, "function": {"arguments": "{}"}}],
    ),
    ("delta", "extra_field", "kept", "other"),
]


def test_the_template_cases_name_every_field_of_a_chunk() -> None:
    # The chunk template compares the fields it knows of, by name, for speed. A field added
    # to a chunk model later fails here until it has a case below, which then fails until
    # the template compares it too.
    from aiodynaspark.client import ChatCompletionChunk, ChoiceDelta, ChunkChoice

    named = {(part, field) for part, field, _, _ in UNLIKE_THE_TEMPLATE}
    for part, model, left_out in [
        ("chunk", ChatCompletionChunk, {"choices", "object"}),
        ("choice", ChunkChoice, {"delta"}),
        ("delta", ChoiceDelta, {"content"}),
    ]:
        fields = set(model.model_fields) - left_out
        assert fields <= {field for each, field in named if each == part}, model.__name__


@pytest.mark.parametrize(("part", "field", "value", "other"), UNLIKE_THE_TEMPLATE)
async def test_a_text_chunk_unlike_the_others_in_any_field_is_sent_as_it_is(
    part: str, field: str, value: Any, other: Any
) -> None:
    # Text-only chunks are encoded from a template cut from the first one; a chunk that
    # differs in anything but its text must not take the template's value of that field,
    # nor the value of the unlike chunk before it.
    chunks = [
        text_chunk("one"),
        text_chunk("two"),
        text_chunk("three", part, **{field: value}),
        text_chunk("four", part, **{field: other}),
        text_chunk("five"),
    ]
    assert await chat_events(chunks) == as_pydantic_writes_them(chunks)


@pytest.mark.parametrize(
    "first",
    ["chatcmpl-1", "chat.completion.chunk", "gemini-1.5-flash", "model", "Dynaspark", "one"],
)
async def test_the_template_is_cut_at_the_text_wherever_else_the_text_occurs(first: str) -> None:
    # The first text-only chunk's text, as a JSON string, may also stand elsewhere in its
    # event, before it (the id, the object, the model, a key) or after it (the provider):
    # the template is cut at the text only where it stands once, else that chunk is not used
    # as the template.
    chunks = [text_chunk(first), text_chunk("two"), text_chunk("three")]
    assert await chat_events(chunks) == as_pydantic_writes_them(chunks)


async def test_chunks_without_text_between_text_chunks_are_sent_as_they_are() -> None:
    # The usage chunk of ``stream_options={"include_usage": True}`` has no choice at all,
    # and a delta may carry nothing (no text, role, tool call or finish reason).
    usage_only = ChatCompletionChunk.model_validate(
        {**text_chunk("two").model_dump(), "choices": [], "usage": USAGE}
    )
    empty = ChatCompletionChunk.model_validate(
        {**text_chunk("three").model_dump(), "choices": [{"index": 0, "delta": {}}]}
    )
    chunks = [text_chunk("one"), usage_only, empty, text_chunk("four")]
    assert await chat_events(chunks) == as_pydantic_writes_them(chunks)


def text_chunk(text: str, part: str = "chunk", **change: Any) -> ChatCompletionChunk:
    """A text-only chunk of one stream, with ``change`` made to its ``part``."""
    data: dict[str, Any] = {
        "id": "chatcmpl-1",
        "created": 1700000000,
        "model": "gemini-1.5-flash",
        "provider": "Dynaspark",
        "choices": [{"index": 0, "delta": {"content": text}}],
    }
    if part == "chunk":
        data.update(change)
    elif part == "choice":
        data["choices"][0].update(change)
    else:
        data["choices"][0]["delta"].update(change)
    return ChatCompletionChunk.model_validate(data)


def as_pydantic_writes_them(chunks: list[ChatCompletionChunk]) -> list[bytes]:
    return [b"data: " + each.model_dump_json().encode() for each in chunks] + [b"data: [DONE]"]


async def chat_events(chunks: list[ChatCompletionChunk]) -> list[bytes]:
    """The events the chat stream sends for ``chunks``, the first received before it starts."""
    from aiodynaspark.client import AsyncStream
    from aiodynaspark.server.core._streaming import ChatEventStream

    async def rest() -> AsyncIterator[ChatCompletionChunk]:
        for each in chunks[1:]:
            yield each

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    response = ChatEventStream(chunks[0], AsyncStream(rest()))
    async with asyncio.timeout(TIMEOUT):
        await response({"type": "http"}, never_leaves, send)
    body = b"".join(message.get("body", b"") for message in sent)
    return [event for event in body.split(b"\n\n") if event]
