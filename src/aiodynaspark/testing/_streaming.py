"""Server-sent events for ``stream=true`` REST answers."""

import asyncio
import json
from collections.abc import Mapping, Sequence

from aiohttp import web

from ._faults import StreamShape
from ._replies import drop_connection
from ._state import ServerState

__all__ = ["DONE_EVENT", "encode_event", "stream_answer"]

DONE_EVENT = b"data: [DONE]\n\n"
"""The event that ends a complete stream (OpenAI convention)."""


def encode_event(piece: str, shape: StreamShape) -> bytes:
    """Encode one piece of the answer as one SSE event.

    Args:
        piece: The text of the piece.
        shape: ``"openai"`` for ``{"choices":[{"delta":{"content": piece}}]}``,
            ``"response"`` for ``{"response": piece}``, ``"text"`` for the
            bare text (one ``data:`` line per line of it, per the SSE rules).

    Returns:
        The event, ending with a blank line.
    """
    if shape == "openai":
        data = json.dumps({"choices": [{"delta": {"content": piece}}]})
    elif shape == "response":
        data = json.dumps({"response": piece})
    else:
        return "".join(f"data: {line}\n" for line in piece.split("\n")).encode() + b"\n"
    return f"data: {data}\n\n".encode()


async def stream_answer(
    request: web.Request,
    state: ServerState,
    pieces: Sequence[str],
    *,
    shape: StreamShape = "openai",
    headers: Mapping[str, str] | None = None,
    cut_after: int | None = None,
) -> web.StreamResponse:
    """Send an answer as server-sent events, then ``data: [DONE]``.

    Each event is written (and so flushed) on its own, ``state.stream_delay``
    seconds apart. While the state's gate is held, the stream stops after
    its first event until released.

    Args:
        request: The request to answer.
        state: The emulator state (delay and gate).
        pieces: The answer's pieces, in order.
        shape: The event payload shape.
        headers: Extra response headers.
        cut_after: When set, close the connection after this many events,
            without ``[DONE]`` (a stream cut by a network error).

    Returns:
        The response, already sent.
    """
    response = web.StreamResponse(headers=headers)
    response.content_type = "text/event-stream"
    response.headers["Cache-Control"] = "no-cache"
    await response.prepare(request)
    for index, piece in enumerate(pieces):
        if index == cut_after:
            # An empty write flushes the buffered status line and headers.
            await response.write(b"")
            drop_connection(request)
            return response
        if index:
            await _pace(state)
        await response.write(encode_event(piece, shape))
    if cut_after is not None:
        drop_connection(request)
        return response
    await _pace(state)
    await response.write(DONE_EVENT)
    await response.write_eof()
    return response


async def _pace(state: ServerState) -> None:
    await state.wait_released()
    if state.stream_delay > 0:
        await asyncio.sleep(state.stream_delay)
