"""Server-sent events: split a byte stream into events, and read text pieces from them.

Written here rather than taken from a package: the maintained SSE parsers are tied to other
HTTP clients (httpx-sse) or are server-side (sse-starlette), and the aiohttp ones are
unmaintained. The format (WHATWG HTML, "Server-sent events") needs about forty lines.
"""

import json
from collections.abc import AsyncGenerator, AsyncIterable, Iterator
from dataclasses import dataclass

from ._errors import ResponseError

__all__ = ["DONE", "SSEDecoder", "ServerSentEvent", "iter_text_pieces", "text_from_payload"]

DONE = "[DONE]"


@dataclass(slots=True)  # not frozen: one per event, and a frozen init costs four times more
class ServerSentEvent:
    """One dispatched event: its type (``message`` when unnamed) and its data lines joined."""

    event: str
    data: str


class SSEDecoder:
    """Incremental decoder: feed it bytes as they arrive, get the complete events back."""

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[str] = []
        self._event = ""

    def feed(self, chunk: bytes) -> Iterator[ServerSentEvent]:
        """Add bytes and yield every event they complete."""
        *lines, self._buffer = (self._buffer + chunk if self._buffer else chunk).split(b"\n")
        for line in lines:
            if line.endswith(b"\r"):
                line = line[:-1]
            # The hot path, inlined: a data line, then the blank line that ends the event.
            # A field name is ASCII and ":" never occurs inside a UTF-8 sequence, so the
            # value can be decoded alone.
            if line.startswith(b"data:"):
                value = line[6:] if line.startswith(b"data: ") else line[5:]
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
            self._event = ""
            return event
        if line.startswith(b":"):
            return None
        name, _, value = line.partition(b":")
        if value.startswith(b" "):
            value = value[1:]
        if name == b"data":
            self._data.append(value.decode("utf-8", "replace"))
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")
        return None

    def flush(self) -> ServerSentEvent | None:
        """Dispatch what is left when the stream ends (a last event without its blank line)."""
        if self._buffer:
            tail, self._buffer = self._buffer, b""
            for _ in self.feed(tail + b"\n"):
                pass
        return self._line(b"")


def text_from_payload(data: str) -> str | None:
    """Read the text piece of one event's data.

    The service does not document its event payload; these shapes are accepted: OpenAI chunks
    ``{"choices": [{"delta": {"content": "..."}}]}`` (also ``message.content`` and ``text``),
    ``{"response": "..."}``, ``{"content": "..."}``, a JSON string, and plain text.

    Returns:
        The piece, or ``None`` for an event that carries no text (a role-only chunk).

    Raises:
        ResponseError: The event reports an error.
    """
    stripped = data.lstrip()
    if not stripped or stripped[0] not in '{"':
        return data
    try:
        value = json.loads(stripped)
    except ValueError:
        return data
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        return data
    if "error" in value:
        error = value["error"]
        message = error.get("message") if isinstance(error, dict) else error
        raise ResponseError(f"The service reported an error mid-stream: {message}")
    choices = value.get("choices")
    if isinstance(choices, list):
        if not choices or not isinstance(choices[0], dict):
            return None
        choice = choices[0]
        for key in ("delta", "message"):
            part = choice.get(key)
            if isinstance(part, dict):
                content = part.get("content")
                return content if isinstance(content, str) else None
        text = choice.get("text")
        return text if isinstance(text, str) else None
    for key in ("response", "content", "text"):
        text = value.get(key)
        if isinstance(text, str):
            return text
    return None


async def iter_text_pieces(
    chunks: AsyncIterable[bytes], *, source: str
) -> AsyncGenerator[str, None]:
    """Yield the non-empty text pieces of an SSE byte stream until ``data: [DONE]``.

    Args:
        chunks: The body, as it arrives.
        source: The endpoint, for messages.

    Raises:
        ResponseError: An error event, or the stream ended without ``[DONE]``.
    """
    decoder = SSEDecoder()
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            if event.data.strip() == DONE:
                return
            if event.event == "error":
                raise ResponseError(f"The service reported an error mid-stream: {event.data}")
            piece = text_from_payload(event.data)
            if piece:
                yield piece
    last = decoder.flush()
    if last is not None and last.data.strip() == DONE:
        return
    if last is not None and (piece := text_from_payload(last.data)):
        yield piece
    raise ResponseError(
        f"The stream from {source} ended without its end marker (data: [DONE]); "
        "the answer may be incomplete."
    )
