"""Server-sent events: split a byte stream into events, and read text pieces from them.

Written here rather than taken from a package: the maintained SSE parsers are tied to other
HTTP clients (httpx-sse) or are server-side (sse-starlette), and the aiohttp ones are
unmaintained. The format (WHATWG HTML, "Server-sent events") needs about forty lines.
"""

import json
import time
from collections.abc import AsyncGenerator, AsyncIterable, Iterator
from dataclasses import dataclass

from .._errors import ResponseError
from .._limits import DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_STREAM_BYTES

__all__ = [
    "DONE",
    "SSEDecoder",
    "ServerSentEvent",
    "iter_text_pieces",
    "read_payload",
    "text_from_payload",
]

DONE = "[DONE]"


@dataclass(slots=True)  # not frozen: one per event, and a frozen init costs four times more
class ServerSentEvent:
    """One dispatched event: its type (``message`` when unnamed) and its data lines joined."""

    event: str
    data: str


class SSEDecoder:
    """Incremental decoder: feed it bytes as they arrive, get the complete events back.

    Linear in its input however it is cut: an unfinished line is kept as a list of parts and
    joined once, when its newline comes, never re-joined on every read.

    Args:
        max_event_bytes: Largest event (its data lines together) or unfinished line; past it
            :meth:`feed` raises ``ResponseError``.
    """

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._data: list[str] = []
        self._data_size = 0
        self._event = ""
        self._limit = max_event_bytes

    def _too_large(self) -> ResponseError:
        return ResponseError(
            f"A server-sent event from the service is larger than {self._limit:,} bytes "
            "(Limits.max_event_bytes); the stream was stopped. Raise the limit if such "
            "events are expected."
        )

    def feed(self, chunk: bytes) -> Iterator[ServerSentEvent]:
        """Add bytes and yield every event they complete.

        Raises:
            ResponseError: An event or an unfinished line is larger than the limit.
        """
        if b"\n" not in chunk:
            self._pending.append(chunk)
            self._pending_size += len(chunk)
            if self._pending_size > self._limit:
                raise self._too_large()
            return
        *lines, tail = chunk.split(b"\n")
        if self._pending:
            self._pending.append(lines[0])
            lines[0] = b"".join(self._pending)
        self._pending = [tail] if tail else []
        self._pending_size = len(tail)
        for line in lines:
            if line.endswith(b"\r"):
                line = line[:-1]
            # The hot path, inlined: a data line, then the blank line that ends the event.
            # A field name is ASCII and ":" never occurs inside a UTF-8 sequence, so the
            # value can be decoded alone.
            if line.startswith(b"data:"):
                value = line[6:] if line.startswith(b"data: ") else line[5:]
                self._data_size += len(value) + 1
                if self._data_size > self._limit:
                    raise self._too_large()
                self._data.append(value.decode("utf-8", "replace"))
                continue
            event = self._line(line)
            if event is not None:
                yield event

    def _line(self, line: bytes) -> ServerSentEvent | None:
        if not line:
            if not self._data:
                self._event = ""
                return None
            event = ServerSentEvent(self._event or "message", "\n".join(self._data))
            self._data = []
            self._data_size = 0
            self._event = ""
            return event
        if line.startswith(b":"):
            return None
        name, _, value = line.partition(b":")
        if value.startswith(b" "):
            value = value[1:]
        if name == b"data":
            self._data_size += len(value) + 1
            if self._data_size > self._limit:
                raise self._too_large()
            self._data.append(value.decode("utf-8", "replace"))
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")
        return None

    def flush(self) -> ServerSentEvent | None:
        """Dispatch what is left when the stream ends (a last event without its blank line)."""
        if self._pending:
            tail = b"".join(self._pending)
            self._pending = []
            self._pending_size = 0
            for _ in self.feed(tail + b"\n"):
                pass
        return self._line(b"")


def text_from_payload(data: str) -> str | None:
    """Read the text piece of one event's data (see :func:`read_payload`).

    Returns:
        The piece, or ``None`` for an event that carries no text (a role-only chunk).

    Raises:
        ResponseError: The event reports an error.
    """
    return read_payload(data)[0]


# The event the service and the emulator send for each piece, as json.dumps writes it.
_DELTA_HEAD = '{"choices": [{"delta": {"content": "'
_DELTA_TAIL = '"}}]}'
_DELTA_SIZE = len(_DELTA_HEAD) + len(_DELTA_TAIL)  # their quotes could otherwise be one


def read_payload(data: str) -> tuple[str | None, bool | None]:
    """Read the text piece of one event's data, and whether it closes an OpenAI-style stream.

    Accepted shapes: OpenAI chunks ``{"choices": [{"delta": {"content": "..."}}]}`` (also
    ``message.content`` and ``text``), ``{"response": "..."}``, ``{"content": "..."}``, a
    JSON string, and plain text. A JSON object with none of these keys carries no text.

    Returns:
        The piece (``None`` for an event without text) and, for an OpenAI chunk, whether it
        carries a ``finish_reason`` (``None`` for the other shapes).

    Raises:
        ResponseError: The event reports an error.
    """
    if len(data) >= _DELTA_SIZE and data.startswith(_DELTA_HEAD) and data.endswith(_DELTA_TAIL):
        # The usual event, read without a JSON parse when its text holds nothing JSON would
        # unescape or refuse: no quote, no backslash, no control character.
        literal = data[len(_DELTA_HEAD) : -len(_DELTA_TAIL)]
        if '"' not in literal and "\\" not in literal and literal.isprintable():
            return literal, False
    stripped = data.lstrip()
    if not stripped or stripped[0] not in '{"':
        return data, None
    try:
        value = json.loads(stripped)
    except ValueError:
        return data, None
    if isinstance(value, str):
        return value, None
    if not isinstance(value, dict):
        return data, None
    if "error" in value:
        error = value["error"]
        message = error.get("message") if isinstance(error, dict) else error
        raise ResponseError(f"The service reported an error mid-stream: {message}")
    choices = value.get("choices")
    if isinstance(choices, list):
        if not choices or not isinstance(choices[0], dict):
            return None, False
        choice = choices[0]
        finished = choice.get("finish_reason") is not None
        for key in ("delta", "message"):
            part = choice.get(key)
            if isinstance(part, dict):
                content = part.get("content")
                return (content if isinstance(content, str) else None), finished
        text = choice.get("text")
        return (text if isinstance(text, str) else None), finished
    for key in ("response", "content", "text"):
        text = value.get(key)
        if isinstance(text, str):
            return text, None
    return None, None


async def iter_text_pieces(
    chunks: AsyncIterable[bytes],
    *,
    source: str,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_stream_bytes: int = DEFAULT_MAX_STREAM_BYTES,
    idle_timeout: float | None = None,
) -> AsyncGenerator[str, None]:
    """Yield the non-empty text pieces of an SSE byte stream until it is complete.

    When a stream is complete is decided from what it carries, not only from the marker: an
    OpenAI-style chunk stream is complete at ``data: [DONE]`` or at a chunk with a
    ``finish_reason``; a ``{"response"}`` or plain-text stream is complete when its body
    ends cleanly. A body cut by the network fails in the transport, before this sees an end.

    Args:
        chunks: The body, as it arrives.
        source: The endpoint, for messages.
        max_event_bytes: Largest single event.
        max_stream_bytes: Largest body in total.
        idle_timeout: Seconds the stream may go without content; comments and empty events
            do not count as content. ``None``: no bound here (the socket's read timeout
            still ends a silent stream).

    Raises:
        ResponseError: An error event, a bound exceeded, no content for ``idle_timeout``,
            or an OpenAI-style stream that ended with neither ``[DONE]`` nor a
            ``finish_reason``.
    """
    decoder = SSEDecoder(max_event_bytes)
    received = 0
    last_content = time.monotonic() if idle_timeout is not None else 0.0
    openai_shape = False
    finished = False
    events = 0
    async for chunk in chunks:
        received += len(chunk)
        if received > max_stream_bytes:
            raise ResponseError(
                f"The stream from {source} is larger than {max_stream_bytes:,} bytes "
                "(Limits.max_stream_bytes); it was stopped. Raise the limit if such answers "
                "are expected."
            )
        content = False
        for event in decoder.feed(chunk):
            events += 1
            if event.data.strip() == DONE:
                return
            if event.event == "error":
                raise ResponseError(f"The service reported an error mid-stream: {event.data}")
            piece, closing = read_payload(event.data)
            if closing is not None:
                openai_shape = True
                finished = finished or closing
            if piece:
                content = True
                yield piece
        if idle_timeout is not None:
            now = time.monotonic()
            if content:
                last_content = now
            elif now - last_content > idle_timeout:
                raise ResponseError(
                    f"The stream from {source} sent no content for {idle_timeout:g} s (only "
                    "keep-alive comments); it was stopped (Limits.stream_idle_timeout)."
                )
    last = decoder.flush()
    if last is not None:
        if last.data.strip() == DONE:
            return
        piece, closing = read_payload(last.data)
        if closing is not None:
            openai_shape = True
            finished = finished or closing
        if piece:
            yield piece
    elif not events:
        raise ResponseError(
            f"The stream from {source} ended without any event; the answer is missing."
        )
    if openai_shape and not finished:
        raise ResponseError(
            f"The stream from {source} ended without its end marker (data: [DONE]) or a "
            "finish_reason; the answer may be incomplete."
        )
