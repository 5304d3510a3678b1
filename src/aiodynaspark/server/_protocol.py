"""uvicorn's httptools HTTP/1.1 protocol with a header-read timeout and a JSON 503.

uvicorn closes idle keep-alive connections, but it sets no limit on how long a client may
take to send a request's headers: a client that trickles a byte every few seconds holds its
socket forever, and a few hundred of them use up the process's file descriptors. This
protocol closes a connection whose request headers are not complete within the timeout,
counted from the connection's start, and again from the end of each answer.

Past the connection cap (``max_connections``) uvicorn answers a plain-text 503; this protocol
answers it in the API's JSON error shape instead, as every other error is.
"""

import asyncio
import contextlib
import socket
from typing import Any, ClassVar

from uvicorn._types import ASGI3Application
from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from ._errors import GatewayError
from ._settings import DEFAULT_HEADER_TIMEOUT

__all__ = ["HeaderTimeoutProtocol", "protocol_with_header_timeout"]

_OVER_CAPACITY = GatewayError(
    503,
    "The gateway has as many connections open as it takes (max_connections); "
    "try again in a moment.",
    "api_error",
    "too_many_connections",
    headers=(("connection", "close"), ("retry-after", "1")),
)


async def _over_capacity(scope: Any, receive: Any, send: Any) -> None:
    await _OVER_CAPACITY.send(send, scope["path"])


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` that closes connections slow to send their request headers."""

    header_timeout: ClassVar[float] = DEFAULT_HEADER_TIMEOUT
    _header_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        self._header_timer = self.loop.call_later(self.header_timeout, self._expired)

    def _expired(self) -> None:
        self._header_timer = None
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            return  # a request is being answered: its headers came in time
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        _nagle_off(transport)
        self._arm()

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: ASGI3Application) -> None:
        # uvicorn picks its plain-text answer when over the cap; answer in JSON instead.
        super()._start_asgi_task(cycle, _over_capacity if app is service_unavailable else app)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().connection_lost(exc)


def _nagle_off(transport: asyncio.Transport) -> None:
    """Turn Nagle's algorithm off on a TCP connection, whoever opened its listening socket.

    asyncio does it only for sockets created as TCP by name; uvicorn's worker processes
    share a listening socket created with protocol 0, and there an answer written in two
    pieces waits about 40 ms for the client's delayed acknowledgement.
    """
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def protocol_with_header_timeout(seconds: float) -> type[HeaderTimeoutProtocol]:
    """The protocol class for ``uvicorn.Config(http=...)`` with this header timeout."""
    if seconds == DEFAULT_HEADER_TIMEOUT:
        return HeaderTimeoutProtocol
    return type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"header_timeout": seconds})
