"""Quirks: answers a real host may give that disagree with what the library expects.

A `Fault` is a failure (an error status, a dropped connection); a `Quirk` is an answer that
is legal, or at least seen in the wild, but unlike the emulator's usual one: a stream
without ``data: [DONE]``, a JSON answer to ``stream=true``, a body too large to hold, a
body that never ends, an event never closed by a blank line, a stream of keep-alive
comments only, a redirect, an image URL on another host. Queue them with `Emulator.push`
like faults.
"""

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

from ._faults import StreamShape
from ._streaming import encode_event

__all__ = ["Quirk", "QuirkKind", "browser_headers_missing", "render_quirk"]

QuirkKind = Literal[
    "no_done",
    "ignore_stream",
    "huge_body",
    "endless_body",
    "unterminated_event",
    "keepalive_only",
    "redirect",
    "image_url",
]
"""Names of the quirk kinds, one per constructor of `Quirk`."""

_CHUNK = 64 * 1024
# A body that "never ends" still stops here, so a test that forgets to hang up cannot
# fill the disk or the memory of the machine; far beyond every bound the library sets.
_ENDLESS_CAP = 4 * 1024 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Quirk:
    """One disagreeing answer, built with a class method constructor.

    Attributes:
        kind: Which quirk this is.
        size: Bytes of a `huge_body` or `unterminated_event` answer.
        interval: Seconds between two comments of a `keepalive_only` stream.
        location: Target of a `redirect` or the URL of an `image_url` answer.
        status: HTTP status of a `redirect`.
        shape: Event payload shape of a `no_done` stream.
    """

    kind: QuirkKind
    size: int = 0
    interval: float = 0.0
    location: str = ""
    status: int = 302
    shape: StreamShape = "openai"

    @classmethod
    def no_done(cls, shape: StreamShape = "openai") -> "Quirk":
        """Stream the answer in ``shape``, then end the body cleanly without ``data: [DONE]``.

        The ``openai`` shape sends no ``finish_reason`` either, so the answer may be cut.
        """
        return cls("no_done", shape=shape)

    @classmethod
    def ignore_stream(cls) -> "Quirk":
        """Answer ``stream=true`` with the whole answer as one JSON body (HTTP 200)."""
        return cls("ignore_stream")

    @classmethod
    def huge_body(cls, size: int) -> "Quirk":
        """Send a well-formed answer of ``size`` bytes (JSON, or events when streaming).

        Raises:
            ValueError: ``size`` is not positive.
        """
        if size <= 0:
            raise ValueError(f"size must be > 0, got {size!r}")
        return cls("huge_body", size=size)

    @classmethod
    def endless_body(cls) -> "Quirk":
        """Send a body that never ends (answer text, or content events when streaming)."""
        return cls("endless_body", size=_ENDLESS_CAP)

    @classmethod
    def unterminated_event(cls, size: int = _ENDLESS_CAP) -> "Quirk":
        """Stream one ``data:`` line of ``size`` bytes that no newline ever closes.

        Raises:
            ValueError: ``size`` is not positive.
        """
        if size <= 0:
            raise ValueError(f"size must be > 0, got {size!r}")
        return cls("unterminated_event", size=size)

    @classmethod
    def keepalive_only(cls, interval: float = 0.05) -> "Quirk":
        """Open an event stream and send only ``: keepalive`` comments, forever.

        Raises:
            ValueError: ``interval`` is negative.
        """
        if not interval >= 0:
            raise ValueError(f"interval must be >= 0, got {interval!r}")
        return cls("keepalive_only", interval=float(interval))

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> "Quirk":
        """Answer with a redirect to ``location`` (another host, or a loopback page).

        Raises:
            ValueError: ``status`` is not a redirect status.
        """
        if status not in (301, 302, 303, 307, 308):
            raise ValueError(f"status must be a redirect status, got {status!r}")
        return cls("redirect", location=location, status=status)

    @classmethod
    def image_url(cls, url: str) -> "Quirk":
        """Answer an image request with ``url`` as its ``image_url``, wherever it points."""
        return cls("image_url", location=url)


def browser_headers_missing(request: web.Request, base_url: str) -> str | None:
    """Name the first browser header the site's own page sends that ``request`` lacks.

    The web form is called by the site's page with ``origin``, ``referer``,
    ``x-requested-with: XMLHttpRequest`` and a browser ``user-agent``; a host behind a bot
    filter may refuse requests without them.

    Returns:
        The missing or wrong header's name, or ``None`` when all are as a browser sends them.
    """
    headers = request.headers
    expected = {
        "origin": base_url,
        "referer": base_url + "/",
        "x-requested-with": "XMLHttpRequest",
    }
    for name, value in expected.items():
        if headers.get(name) != value:
            return name
    if not headers.get("user-agent", "").startswith("Mozilla/"):
        return "user-agent"
    return None


async def render_quirk(
    request: web.Request,
    quirk: Quirk,
    *,
    streams: bool,
    pieces: Sequence[str],
    shape: StreamShape = "openai",
    json_type: str = "application/json",
) -> web.StreamResponse | None:
    """Answer ``request`` the quirky way, or return ``None`` when the quirk does not apply.

    Args:
        request: The request.
        quirk: The quirk drawn for it.
        streams: Whether the request asked for an event stream.
        pieces: The normal answer's pieces.
        shape: The event payload shape of a stream.
        json_type: Content type of a JSON body on this endpoint.

    Returns:
        The response (already sent for streamed bodies), or ``None``.
    """
    kind = quirk.kind
    if kind == "redirect":
        return web.Response(status=quirk.status, headers={"Location": quirk.location})
    if kind == "ignore_stream":
        body = json.dumps({"response": "".join(pieces)})
        return web.Response(text=body, content_type="application/json")
    if kind == "no_done" and streams:
        response = await _open(request, "text/event-stream")
        for piece in pieces:
            await response.write(encode_event(piece, quirk.shape))
        await response.write_eof()
        return response
    if kind in ("huge_body", "endless_body"):
        return await _long_body(request, quirk.size, streams, shape, json_type)
    if kind == "unterminated_event":
        response = await _open(request, "text/event-stream")
        await response.write(b"data: ")
        await _fill(response, quirk.size, b"x" * _CHUNK)
        await response.write_eof()
        return response
    if kind == "keepalive_only":
        response = await _open(request, "text/event-stream")
        while True:  # ends when the client leaves or the emulator closes (cancellation)
            await response.write(b": keepalive\n\n")
            await asyncio.sleep(quirk.interval)
    return None


async def _open(request: web.Request, content_type: str) -> web.StreamResponse:
    response = web.StreamResponse()
    response.content_type = content_type
    await response.prepare(request)
    return response


async def _fill(response: web.StreamResponse, size: int, block: bytes) -> None:
    sent = 0
    while sent < size:
        await response.write(block)
        sent += len(block)


async def _long_body(
    request: web.Request, size: int, streams: bool, shape: StreamShape, json_type: str
) -> web.StreamResponse:
    if streams:
        response = await _open(request, "text/event-stream")
        await _fill(response, size, encode_event("x" * (_CHUNK - 64), shape))
        await response.write(b"data: [DONE]\n\n")
    else:
        response = await _open(request, json_type)
        await response.write(b'{"response": "')
        await _fill(response, size, b"x" * _CHUNK)
        await response.write(b'"}')
    await response.write_eof()
    return response
