"""Streamed answers as server-sent events, forwarded as the pieces arrive.

:class:`EventStream` carries any upstream stream of chat chunks, each turned into events by
an encoder: the Responses and Messages routes bring their own. For chat completions
(:class:`ChatEventStream`) the wire format is OpenAI's: one ``data: {chunk}`` event per
chunk, then ``data: [DONE]``.
A stream that breaks after it started ends with one ``data: {"error": {...}}`` event and no
``[DONE]``, so a client never mistakes a cut answer for a whole one (the openai SDK raises
``APIError`` on it).

Events that are ready together go out together. A task reads the upstream and adds each
event as soon as it is parsed; the response takes whatever was added and sends it as one
write. A paced answer (the usual case) is therefore sent event by event, exactly when
each arrives, while events that came in one upstream read, as under load, share one trip
through the ASGI stack: each ``send`` costs about 35 µs of the gateway's CPU, far more than
the event (``docs/performance.md``, scenario 4).

The response is a plain ASGI callable on asyncio rather than Starlette's
``StreamingResponse``, whose task group loads anyio's event loop backend (about 1 MiB
resident) and adds two tasks to every stream for what one task here does.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from json.encoder import encode_basestring
from typing import Any

from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from ...client import AsyncStream, ChatCompletionChunk
from .._errors import error_event, from_exception
from ._long_chats import KEEP_ALIVE

__all__ = ["ChatEventStream", "EventStream"]

_log = logging.getLogger(__name__)

_DONE = b"data: [DONE]\n\n"
# Proxies (nginx and others) must pass events on at once, and never cache them.
_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
# Events read ahead of a slow client; past this the upstream is not read until it catches up.
_READ_AHEAD = 256
_END: Message = {"type": "http.response.body", "body": b"", "more_body": False}

Encode = Callable[[Any], bytes]
"""Turns one upstream chunk into the bytes of its events (``b""`` for none)."""


def _last(data: bytes) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": False}


def _event(chunk: ChatCompletionChunk) -> bytes:
    return b"data: " + chunk.__pydantic_serializer__.to_json(chunk) + b"\n\n"


class _ChunkEvents:
    """Encodes the chunks of one chat stream, the text-only ones from a byte template.

    Every chunk between a stream's first and last differs from the others only in its text:
    the same id, creation time, model and provider, one choice with no role, tool calls or
    finish reason. The event of the first such chunk is cut around its text into a head
    and a tail, and each next one is the head, its own text escaped as JSON, and the tail:
    the same bytes as pydantic's ``to_json`` (both escape ``"``, ``\\`` and the control
    characters alone, in the same forms), for about 4,700 fewer instructions per event
    (``docs/performance.md``). Any other chunk is encoded whole.
    """

    __slots__ = ("_head", "_same", "_tail")

    def __init__(self) -> None:
        self._same: tuple[Any, ...] | None = None
        self._head = b""
        self._tail = b""

    def __call__(self, chunk: ChatCompletionChunk) -> bytes:
        choices = chunk.choices
        if len(choices) == 1:
            choice = choices[0]
            delta = choice.delta
            text = delta.content
            if (
                type(text) is str
                and delta.role is None
                and delta.tool_calls is None
                and choice.finish_reason is None
                and choice.index == 0
                and not delta.__pydantic_extra__
                and not choice.__pydantic_extra__
                and not chunk.__pydantic_extra__
            ):
                same = (
                    chunk.id,
                    chunk.object,
                    chunk.created,
                    chunk.model,
                    chunk.usage,
                    chunk.provider,
                )
                escaped = encode_basestring(text)
                if same == self._same:
                    try:
                        return self._head + escaped.encode() + self._tail
                    except UnicodeEncodeError:
                        pass  # a lone surrogate: to_json says what it says of it
                else:
                    return self._learn(chunk, same, escaped)
        return _event(chunk)

    def _learn(self, chunk: ChatCompletionChunk, same: tuple[Any, ...], escaped: str) -> bytes:
        """Encode ``chunk`` whole and keep its head and tail, if its text occurs only once."""
        event = _event(chunk)  # raises as ever on text that is no valid UTF-8
        text = escaped.encode()
        at = event.find(text)
        if at == event.rfind(text):  # found once, counting overlaps: only where the text is
            self._head, self._tail = event[:at], event[at + len(text) :]
            self._same = same
        return event


async def _chat_done() -> bytes:
    return _DONE


def _chat_error(exc: Exception) -> bytes:
    return error_event(from_exception(exc))


class _ReadAhead:
    """The events read ahead of the response: the reader adds them, the response takes all.

    One reader and one response, so lighter than an ``asyncio.Queue``: an event costs a list
    append, and a future is made only when one side has to wait for the other.
    """

    def __init__(self, limit: int) -> None:
        self.events: list[bytes] = []
        self.ended = False
        self._limit = limit
        self._taker: asyncio.Future[None] | None = None
        self._putter: asyncio.Future[None] | None = None

    def put(self, data: bytes) -> "asyncio.Future[None] | None":
        """Add an event; returns what to await before the next one when the limit is reached."""
        self.events.append(data)
        if self._taker is not None:  # the response waits only for the first of a batch
            self._wake_taker()
        if len(self.events) < self._limit:
            return None
        self._putter = asyncio.get_running_loop().create_future()
        return self._putter

    def end(self) -> None:
        """No event follows."""
        self.ended = True
        self._wake_taker()

    async def wait(self) -> None:
        """Wait for an event or the end (cancelled by a keep-alive's timeout)."""
        if not self.events and not self.ended:
            self._taker = asyncio.get_running_loop().create_future()
            await self._taker

    def take(self) -> list[bytes]:
        """Every event added since the last take."""
        events, self.events = self.events, []
        putter, self._putter = self._putter, None
        if putter is not None and not putter.done():
            putter.set_result(None)
        return events

    def _wake_taker(self) -> None:
        taker, self._taker = self._taker, None
        if taker is not None and not taker.done():
            taker.set_result(None)


async def _read_upstream(
    stream: AsyncIterator[Any],
    encode: Encode,
    finish: Callable[[], Awaitable[bytes]],
    fail: Callable[[Exception], bytes],
    ahead: _ReadAhead,
) -> None:
    """Add the events of every chunk, then the closing events (or the failure's), then end."""
    try:
        async for chunk in stream:
            data = encode(chunk)
            if data:
                room = ahead.put(data)
                if room is not None:
                    await room
        closing = await finish()
    except Exception as exc:
        # Cancellation (the client left) is a BaseException and passes; every failure of the
        # upstream, or of the gateway itself, becomes the closing error event.
        try:
            closing = fail(exc)
        except Exception:
            # Without its end marker the response would wait for the next event forever.
            _log.exception("The stream's closing error event could not be built")
            closing = b""
    if closing:
        ahead.put(closing)  # the last: nothing waits for room after it
    ahead.end()


class EventStream(Response):
    """A ``text/event-stream`` answer made of upstream chunks, each encoded as it arrives.

    The caller pulls the first chunk before building it, so an upstream that fails at once is
    answered with a real error status, not a 200 stream holding only an error; only an answer
    that arrives whole starts before it, as its first chunk is the whole answer. A client that
    leaves mid-stream stops the reading, and the upstream connection is released at once.

    Args:
        first: The opening events and those of the first chunk (if received), encoded.
        stream: The rest of the chunks.
        encode: Encodes one chunk.
        finish: The closing events, once the stream ended well.
        fail: The closing event of a stream that broke.
        headers: Headers besides the event stream's own.
        keep_alive: Seconds without an event after which ``idle`` is sent (for an answer
            that arrives whole); ``None``: nothing is.
        idle: What is sent then: a ``: keep-alive`` comment unless the API has its own
            (Anthropic's ``ping`` event).
    """

    media_type = "text/event-stream"

    def __init__(
        self,
        first: bytes,
        stream: AsyncStream,
        encode: Encode,
        finish: Callable[[], Awaitable[bytes]],
        fail: Callable[[Exception], bytes],
        *,
        headers: Mapping[str, str] | None = None,
        keep_alive: float | None = None,
        idle: bytes = KEEP_ALIVE,
    ) -> None:
        # Not Response.__init__: there is no body to render. The headers are set up as
        # any response's, so they can still be read and changed until it is sent.
        self.status_code = 200
        self.background = None
        self.init_headers({**_HEADERS, **headers} if headers else _HEADERS)
        self._keep_alive = keep_alive
        self._idle = idle
        self._first = first
        self._stream = stream
        self._encode = encode
        self._finish = finish
        self._fail = fail

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # No watcher of its own for the caller leaving: every route that streams takes a
        # body, so the request runs under CancelOnDisconnect, which cancels this task then.
        ahead = _ReadAhead(_READ_AHEAD)
        reader: asyncio.Task[None] | None = None
        try:
            start = {"type": "http.response.start", "status": 200, "headers": self.raw_headers}
            await send(start)
            await send(self._body(self._first))
            reader = asyncio.create_task(
                _read_upstream(self._stream, self._encode, self._finish, self._fail, ahead)
            )
            while True:
                if not await self._ready(ahead):
                    await send(self._body(self._idle))
                    continue
                ready = ahead.take()
                if ahead.ended:
                    # The last events end the answer in the same message.
                    await send(_last(b"".join(ready)) if ready else _END)
                    break
                await send(self._body(b"".join(ready)))
        finally:
            if reader is not None and not reader.done():
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
            # Release the upstream connection now, not when the garbage collector finds it.
            if ahead.ended:
                # Read to its end (or its failure): closing returns at once, with nothing a
                # cancellation could interrupt, so it needs no task of its own.
                await self._stream.aclose()
            else:
                await asyncio.shield(self._stream.aclose())

    async def _ready(self, ahead: _ReadAhead) -> bool:
        """Wait for events or the end; ``False`` once none came for ``keep_alive`` seconds."""
        if self._keep_alive is None:
            await ahead.wait()
            return True
        try:
            async with asyncio.timeout(self._keep_alive):
                await ahead.wait()
        except TimeoutError:
            return False
        return True

    @staticmethod
    def _body(data: bytes) -> Message:
        return {"type": "http.response.body", "body": data, "more_body": True}


class ChatEventStream(EventStream):
    """The answer of a streamed chat completion: ``data: {chunk}`` events, then ``[DONE]``.

    Args:
        first: The first chunk, already received; ``None`` for a stream answered whole,
            which starts at once with a ``: keep-alive`` comment (the chat API has no opening
            event, and a caller or proxy should see bytes at once, as on the other APIs) and
            keeps the connection alive until its answer comes.
        stream: The rest of the chunks.
        headers: Headers besides the event stream's own.
        keep_alive: As :class:`EventStream`'s.
    """

    def __init__(
        self,
        first: ChatCompletionChunk | None,
        stream: AsyncStream,
        *,
        headers: Mapping[str, str] | None = None,
        keep_alive: float | None = None,
    ) -> None:
        encode = _ChunkEvents()
        super().__init__(
            KEEP_ALIVE if first is None else encode(first),
            stream,
            encode,
            _chat_done,
            _chat_error,
            headers=headers,
            keep_alive=keep_alive,
        )
