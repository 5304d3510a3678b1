"""uvicorn's httptools HTTP/1.1 protocol with a header-read timeout and a JSON 503.

uvicorn closes idle keep-alive connections, but it sets no limit on how long a client may
take to send a request's headers: a client that trickles a byte every few seconds holds its
socket forever, and a few hundred of them use up the process's file descriptors. This
protocol closes a connection whose request headers are not complete within the timeout,
counted from the connection's start, and again from the end of each answer.

Past the connection cap (``max_connections``) uvicorn answers a plain-text 503; this protocol
answers it in the API's JSON error shape instead, as every other error is.

uvicorn writes an answer's head the moment the app sends it, and its body at the next send:
two system calls, and two wake-ups of the client, for an answer the app sent at once. This
protocol holds each write until the event loop's current pass ends (:class:`HeldWrites`),
so what was sent together leaves in one write.
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

__all__ = ["HeaderTimeoutProtocol", "HeldWrites", "protocol_with_header_timeout"]

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


class HeldWrites(asyncio.Transport):
    """A connection's transport whose writes are held until the loop's current pass ends.

    The writes of one pass leave joined, in one call to the real transport (and so in one
    system call while the socket takes them); closing writes what is held first. The bytes
    and their order are the same; the latency added is the rest of one pass of the loop.

    Args:
        transport: The connection's transport.
        loop: The event loop it runs on.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(bytes(data))

    def flush(self) -> None:
        """Write what is held now; drop it if the connection was lost meanwhile."""
        if self._held:
            held, self._held = self._held, []
            # As uvicorn writes nothing once the client is gone; asyncio warns of such writes.
            if not self._transport.is_closing():
                self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = []
        self._transport.abort()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(len(data) for data in self._held)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` that closes connections slow to send their request headers."""

    header_timeout: ClassVar[float] = DEFAULT_HEADER_TIMEOUT
    _header_timer: asyncio.TimerHandle | None = None
    _header_deadline: float = 0.0

    def _arm(self) -> None:
        # Re-armed after every answer: only the deadline moves, and the timer already set
        # waits out the rest when it fires, rather than a timer cancelled and made per answer.
        self._header_deadline = self.loop.time() + self.header_timeout
        if self._header_timer is None:
            self._header_timer = self.loop.call_at(self._header_deadline, self._expired)

    def _expired(self) -> None:
        self._header_timer = None
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            return  # a request is being answered: its headers came in time
        if self._header_deadline > self.loop.time():
            # An answer ended since the timer was set: the deadline counts from there.
            self._header_timer = self.loop.call_at(self._header_deadline, self._expired)
            return
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        _nagle_off(transport)
        # Every answer of this connection is written through it; reading stays as it was.
        self.transport = HeldWrites(transport, self.loop)
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
