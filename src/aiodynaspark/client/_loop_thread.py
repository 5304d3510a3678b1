"""An event loop in a daemon thread, which runs the synchronous client's coroutines."""

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from .._errors import InvalidRequestError
from .._event_loops import ensure_no_running_loop
from .._wire._lifecycle import CLIENT_CLOSED

__all__ = ["LoopThread"]

T = TypeVar("T")


class LoopThread:
    """An event loop running in its own daemon thread, fed coroutines from other threads."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="aiodynaspark-client", daemon=True
        )
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], *, closing: bool = False) -> T:
        try:
            if self.loop.is_closed():
                raise RuntimeError(CLIENT_CLOSED)
            if not closing:  # closing is brief and must work anywhere, even inside a loop
                ensure_no_running_loop("Client", "AsyncClient")
        except (InvalidRequestError, RuntimeError):
            coroutine.close()
            raise
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def is_alive_elsewhere(self) -> bool:
        """Whether the loop's thread runs and the caller is another thread."""
        return self._thread.is_alive() and threading.current_thread() is not self._thread

    def run_briefly(self, coroutine: Coroutine[Any, Any, T], seconds: float) -> T:
        """Run ``coroutine`` on the loop and wait at most ``seconds`` for it.

        Raises:
            TimeoutError: It did not finish in time (it is cancelled).
        """
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout=seconds)
        except TimeoutError:
            future.cancel()
            raise

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()
