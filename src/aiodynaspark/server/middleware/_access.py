"""The access log and last-resort errors, the body size limit, HEAD answered as GET.

The log line and the 500 are written by the front layer, the body read within its limit by
the gate (``_pipeline.py``); HEAD goes through :class:`HeadAsGet`, an ASGI wrapper.
"""

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..._limits import clipped
from .._errors import GatewayError, from_exception
from ._disconnect import CLIENT_GONE

__all__ = [
    "CLIENT_GONE_STATUS",
    "BodyLimit",
    "HeadAsGet",
    "answer_escaped",
    "log_access",
    "read_body",
]

access_log = logging.getLogger("aiodynaspark.server.access")

CLIENT_GONE_STATUS = 499
"""nginx's "client closed request": logged when the client left before the answer's end."""


def printable(text: str) -> str:
    """``text`` with control characters, quotes and non-ASCII escaped, for one log field.

    A request path is percent-decoded before it reaches the app: ``%0a`` would otherwise
    write a forged line into the log, and ``%1b`` a terminal escape sequence.
    """
    if text.isascii() and text.isprintable() and '"' not in text:
        return text
    return text.encode("unicode_escape").decode("ascii").replace('"', '\\"')


def log_access(scope: Scope, status: int, started: float) -> None:
    """Log one line for an answered request (see the module's description).

    The line is ``client "METHOD /path" status ms`` at INFO on ``aiodynaspark.server.access``;
    the query string and headers are left out, so no key can end up in the log; every field
    is escaped (see :func:`printable`) and cut to ``ECHO_CHARS``. The client is the peer's
    address, or what a trusted proxy says it is (``trusted_proxies``). A caller who left
    before the answer was complete is logged 499, as nginx does.

    Args:
        scope: The request's scope.
        status: The status answered, ``CLIENT_GONE_STATUS`` if none was.
        started: When the request came in, by ``time.perf_counter``.
    """
    if access_log.isEnabledFor(logging.INFO):
        client = scope.get("client")
        # The client's address may come from a trusted proxy's X-Forwarded-For, so it is
        # escaped like the rest; the path is cut to a recognisable length.
        access_log.info(
            '%s "%s %s" %d %.1fms',
            printable(clipped(str(client[0]))) if client else "-",
            printable(clipped(scope["method"])),
            printable(clipped(scope["path"])),
            CLIENT_GONE_STATUS if scope.get(CLIENT_GONE) else status,
            (time.perf_counter() - started) * 1000,
        )


async def answer_escaped(exc: Exception, answered: bool, scope: Scope, send: Send) -> int | None:
    """Answer an exception that escaped the app with a 500 whose body says nothing about it.

    It is logged with its traceback (by :func:`from_exception`). Once the answer has started
    it cannot be replaced; the server closes the connection because the answer is incomplete.

    Returns:
        The status answered, or ``None`` when the answer had already started.
    """
    error = from_exception(exc)
    if answered:
        return None
    await error.send(send, scope["path"])
    return error.status


class BodyLimit:
    """The largest request body taken, and the 413 that refuses a larger one.

    Args:
        max_body_bytes: The largest body accepted.
    """

    def __init__(self, max_body_bytes: int) -> None:
        self.max_body_bytes = max_body_bytes
        self.too_large = GatewayError(
            413,
            f"The request body is larger than this gateway's limit of {max_body_bytes:,} bytes.",
            code="request_too_large",
        )


async def read_body(scope: Scope, receive: Receive, send: Send, limit: BodyLimit) -> bytes | None:
    """The whole request body, or ``None`` once answered 413 (or the client left).

    A ``Content-Length`` above the limit is refused before any byte is read; otherwise the
    body is read counting as it arrives. The app reads the whole body anyway (a JSON document
    cannot be parsed in parts), so nothing is lost by reading it first.
    """
    for name, value in scope["headers"]:
        if name == b"content-length":
            if value.isdigit() and int(value) > limit.max_body_bytes:
                await limit.too_large.send(send, scope["path"])
                return None
            break
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None  # The client left: nobody to answer.
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit.max_body_bytes:
            await limit.too_large.send(send, scope["path"])
            return None
        if chunk:
            chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class HeadAsGet:
    """Answers ``HEAD`` wherever ``GET`` is answered: the GET's status and headers, no body.

    FastAPI routes declared for ``GET`` answer ``HEAD`` with 405; monitors and load
    balancers probe with ``HEAD``.

    Args:
        app: The application to wrap.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        inner = {**scope, "method": "GET"}
        try:
            await self.app(inner, receive, send_without_body)
        finally:
            # What the layers inside learnt (the route, the caller's key name) is read by the
            # layers outside, the metrics among them; only the method stays HEAD.
            scope.update((name, value) for name, value in inner.items() if name != "method")
