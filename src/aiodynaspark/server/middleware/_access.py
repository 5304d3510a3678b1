"""Pure ASGI middleware: access log and last-resort errors, body size limit.

Pure ASGI rather than Starlette's ``BaseHTTPMiddleware``: that one runs every request in an
extra task and buffers streamed responses through a memory stream, costly on the hot path
and in the way of server-sent events.
"""

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..._limits import clipped
from .._errors import GatewayError, from_exception
from ._disconnect import CLIENT_GONE

__all__ = ["AccessLogMiddleware", "BodyLimitMiddleware", "HeadAsGet"]

access_log = logging.getLogger("aiodynaspark.server.access")

# nginx's "client closed request": logged when the client left before any answer.
_CLIENT_GONE = 499


def printable(text: str) -> str:
    """``text`` with control characters, quotes and non-ASCII escaped, for one log field.

    A request path is percent-decoded before it reaches the app: ``%0a`` would otherwise
    write a forged line into the log, and ``%1b`` a terminal escape sequence.
    """
    if text.isascii() and text.isprintable() and '"' not in text:
        return text
    return text.encode("unicode_escape").decode("ascii").replace('"', '\\"')


class AccessLogMiddleware:
    """Logs one line per request and turns an escaped exception into a generic 500.

    The line is ``client "METHOD /path" status ms`` at INFO on ``aiodynaspark.server.access``;
    the query string and headers are left out, so no key can end up in the log; every field
    is escaped (see :func:`printable`) and cut to ``ECHO_CHARS``. The client is the peer's
    address, or what a trusted proxy says it is (``trusted_proxies``). A caller who left
    before the answer was complete is logged 499, as nginx does. An exception that escaped
    the app is logged with its traceback (by :func:`from_exception`) and answered with a 500
    whose body says nothing about it.

    Args:
        app: The application to wrap.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = _CLIENT_GONE

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        except Exception as exc:
            error = from_exception(exc)
            if status == _CLIENT_GONE:
                status = error.status
                await error.send(send, scope["path"])
            # Once the answer has started it cannot be replaced; the server closes the
            # connection because the answer is incomplete.
        finally:
            if access_log.isEnabledFor(logging.INFO):
                client = scope.get("client")
                # The client's address may come from a trusted proxy's X-Forwarded-For, so it
                # is escaped like the rest; the path is cut to a recognisable length.
                access_log.info(
                    '%s "%s %s" %d %.1fms',
                    printable(clipped(str(client[0]))) if client else "-",
                    printable(clipped(scope["method"])),
                    printable(clipped(scope["path"])),
                    _CLIENT_GONE if scope.get(CLIENT_GONE) else status,
                    (time.perf_counter() - started) * 1000,
                )


class BodyLimitMiddleware:
    """Answers 413 to a request whose body is larger than the limit, while it is read.

    A ``Content-Length`` above the limit is refused before any byte is read; otherwise the
    body is read here, counting as it arrives, and handed to the app whole. The app reads the
    whole body anyway (a JSON document cannot be parsed in parts), so nothing is lost by
    reading it first.

    Args:
        app: The application to wrap.
        max_body_bytes: The largest body accepted.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes
        self._too_large = GatewayError(
            413,
            f"The request body is larger than this gateway's limit of {max_body_bytes:,} bytes.",
            code="request_too_large",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and int(value) > self.limit:
                    await self._too_large.send(send, scope["path"])
                    return
                break
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # The client left: nobody to answer.
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._too_large.send(send, scope["path"])
                return
            if chunk:
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                # Later calls wait for the disconnect, as streaming responses expect.
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


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
