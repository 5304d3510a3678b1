"""Streamed chat completions as server-sent events, forwarded as the pieces arrive.

The wire format is OpenAI's: one ``data: {chunk}`` event per chunk, then ``data: [DONE]``.
A stream that breaks after it started ends with one ``data: {"error": {...}}`` event and no
``[DONE]``, so a client never mistakes a cut answer for a whole one (the openai SDK raises
``APIError`` on it).

Events that are ready together go out together. A task reads the upstream and queues each
event as soon as it is parsed; the response takes whatever the queue holds and sends it as
one write. A paced answer (the usual case) is therefore sent event by event, exactly when
each arrives, while events that came in one upstream read, as under load, share one trip
through the ASGI stack: each ``send`` costs about 35 µs of the gateway's CPU, far more than
the event (``docs/performance.md``, scenario 4).
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from ..client import AsyncStream, ChatCompletionChunk
from ._errors import error_event, from_exception

__all__ = ["ChatEventStream"]

_DONE = b"data: [DONE]\n\n"
# Proxies (nginx and others) must pass events on at once, and never cache them.
_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
# Events read ahead of a slow client; past this the upstream is not read until it catches up.
_READ_AHEAD = 256


def _event(chunk: ChatCompletionChunk) -> bytes:
    return b"data: " + chunk.__pydantic_serializer__.to_json(chunk) + b"\n\n"


async def _read_upstream(stream: AsyncStream, queue: "asyncio.Queue[bytes | None]") -> None:
    """Queue every event of ``stream``, then the end marker (or an error event), then None."""
    try:
        async for chunk in stream:
            await queue.put(_event(chunk))
        await queue.put(_DONE)
    except Exception as exc:
        # Cancellation (the client left) is a BaseException and passes; every failure of the
        # upstream, or of the gateway itself, becomes the closing error event.
        await queue.put(error_event(from_exception(exc)))
    await queue.put(None)


async def _events(first: ChatCompletionChunk, stream: AsyncStream) -> AsyncIterator[bytes]:
    yield _event(first)
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(_READ_AHEAD)
    reader = asyncio.create_task(_read_upstream(stream, queue))
    try:
        while True:
            item = await queue.get()
            ready: list[bytes] = []
            while item is not None:
                ready.append(item)
                if queue.empty():
                    break
                item = queue.get_nowait()
            if ready:
                yield b"".join(ready)
            if item is None:
                return
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


class ChatEventStream(StreamingResponse):
    """The ``text/event-stream`` answer of a streamed chat completion.

    The caller pulls the first chunk before building it, so an upstream that fails at once is
    answered with a real error status, not a 200 stream holding only an error.

    Args:
        first: The first chunk, already received.
        stream: The rest of the chunks.
    """

    def __init__(self, first: ChatCompletionChunk, stream: AsyncStream) -> None:
        super().__init__(_events(first, stream), media_type="text/event-stream", headers=_HEADERS)
        self._stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # A client that leaves mid-stream cancels the sending; release the upstream
            # connection now rather than when the garbage collector finds the generators.
            with anyio.CancelScope(shield=True):
                aclose = getattr(self.body_iterator, "aclose", None)
                if aclose is not None:
                    await aclose()
                await self._stream.aclose()
