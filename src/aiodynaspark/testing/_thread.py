"""Run an async server on its own event loop in a daemon thread."""

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Protocol, TypeVar

__all__ = ["serve_in_thread"]

_logger = logging.getLogger(__name__)

# Bounds for the calling thread's waits: starting binds a socket, stopping
# cancels handlers; both take milliseconds, so these only catch a wedged loop.
_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 30.0


class _Server(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...


_ServerT = TypeVar("_ServerT", bound=_Server)


@contextlib.contextmanager
def serve_in_thread(server: _ServerT, name: str = "dynaspark-emulator") -> Iterator[_ServerT]:
    """Start ``server`` on a new event loop in a daemon thread; stop it on exit.

    Args:
        server: An object with ``async start()`` and ``async close()``.
        name: The thread's name.

    Yields:
        The started server.

    Raises:
        Exception: Whatever ``server.start()`` raised (a port in use, say).
        TimeoutError: The loop did not start or stop in time.
    """
    started: concurrent.futures.Future[tuple[asyncio.AbstractEventLoop, asyncio.Event]]
    started = concurrent.futures.Future()

    async def main() -> None:
        stop = asyncio.Event()
        await server.start()
        try:
            started.set_result((asyncio.get_running_loop(), stop))
            await stop.wait()
        finally:
            await server.close()

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # reported to the caller, or logged after start
            if not started.done():
                started.set_exception(exc)
            else:
                _logger.warning("Emulator thread ended with an error: %r", exc)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    loop, stop = started.result(timeout=_START_TIMEOUT)
    try:
        yield server
    finally:
        with contextlib.suppress(RuntimeError):  # the loop already ended
            loop.call_soon_threadsafe(stop.set)
        thread.join(_STOP_TIMEOUT)
        if thread.is_alive():
            raise TimeoutError(f"{name} thread did not stop within {_STOP_TIMEOUT} s")
