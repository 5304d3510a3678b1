"""The mutable state of one emulator, shared by its request handlers.

It holds the knobs a test turns at run time (faults, latency, stream delay,
the hold gate) and what the emulator saw (recorded requests, peer ports).
Handlers call `ServerState.arrive` first and `ServerState.admit` once the
request is read; both are cheap when no knob is set.
"""

import asyncio
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Collection
from typing import TYPE_CHECKING

from aiohttp import web

from ._faults import Fault
from ._media import ImageSpec
from ._ratelimit import RateDecision, RateLimiter
from ._records import RecordedRequest, UploadedFile
from ._script import ModelScript

if TYPE_CHECKING:  # the quirks module imports the stream writer, which imports this one
    from ._quirks import Quirk

__all__ = ["Handler", "ServerState"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
"""An aiohttp request handler."""


class ServerState:
    """Configuration, run-time knobs and observations of one emulator.

    Args:
        rate_limit: Requests allowed per window, ``None`` for no quota.
        rate_window: Quota window in seconds.
        api_keys: Accepted REST keys, ``None`` to accept any key or none.
        stream_delay: Seconds between two events of a stream.
        cold_start: Seconds the first request waits (a waking host).
        latency: Seconds every service request waits before its answer.
        record: Whether to keep a `RecordedRequest` per request.

    Raises:
        ValueError: A number is out of range.
    """

    def __init__(
        self,
        *,
        rate_limit: int | None,
        rate_window: float,
        api_keys: Collection[str] | None,
        stream_delay: float,
        cold_start: float,
        latency: float,
        record: bool,
    ) -> None:
        for name, value in (
            ("stream_delay", stream_delay),
            ("cold_start", cold_start),
            ("latency", latency),
        ):
            if not value >= 0:
                raise ValueError(f"{name} must be >= 0, got {value!r}")
        self.url = ""
        self.record = record
        self.requests: list[RecordedRequest] = []
        self.peer_ports: set[int] = set()
        if isinstance(api_keys, str):  # one key, not a collection of characters
            api_keys = (api_keys,)
        self.api_keys = None if api_keys is None else frozenset(api_keys)
        self.stream_delay = stream_delay
        self.latency = latency
        self.limiter = None if rate_limit is None else RateLimiter(rate_limit, rate_window)
        self.images: dict[str, ImageSpec] = {}
        self.faults: deque[Fault | Quirk | None] = deque()
        self.script = ModelScript()
        self._random_fault: tuple[Fault, float, random.Random] | None = None
        self._released = asyncio.Event()
        self._released.set()
        self._cold_start = cold_start
        self._awake = cold_start <= 0
        self._awake_at: float | None = None
        self._inflight: set[asyncio.Task[object]] = set()
        self.disconnects = 0
        self.url_limit: int | None = None
        self.require_browser_headers = False

    def on_start(self, url: str) -> None:
        """Prepare for serving on a (new) event loop at ``url``.

        A cold start is armed again: the first request after each start waits.

        Args:
            url: The root URL the server listens on.
        """
        self.url = url
        held = not self._released.is_set()
        self._released = asyncio.Event()  # bound to the loop that first waits on it
        if not held:
            self._released.set()
        self._awake = self._cold_start <= 0
        self._awake_at = None

    # Per-request steps, in the order handlers call them.

    async def arrive(self, request: web.Request) -> tuple[float, int]:
        """Note a new request and, on a cold start, wait for the host to wake.

        Args:
            request: The incoming request.

        Returns:
            The arrival time (``time.monotonic()``) and the client's port.
        """
        at = time.monotonic()
        transport = request.transport
        peer = transport.get_extra_info("peername") if transport is not None else None
        port = peer[1] if peer else 0
        self.peer_ports.add(port)
        if not self._awake:
            await self._wake(at)
        return at, port

    async def _wake(self, now: float) -> None:
        # Every request that comes while the host wakes waits for the same end.
        if self._awake_at is None:
            self._awake_at = now + self._cold_start
        remaining = self._awake_at - now
        if remaining > 0:
            await asyncio.sleep(remaining)
        self._awake = True

    def remember(
        self,
        request: web.Request,
        arrival: tuple[float, int],
        form: dict[str, str] | None = None,
        file: UploadedFile | None = None,
    ) -> None:
        """Record the request, when recording is on.

        Args:
            request: The request.
            arrival: What `arrive` returned for it.
            form: The text fields of its body.
            file: The file of its body.
        """
        if not self.record:
            return
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                form=form or {},
                file=file,
                headers={name.lower(): value for name, value in request.headers.items()},
                peer_port=arrival[1],
                at=arrival[0],
            )
        )

    async def admit(self) -> "Fault | Quirk | None":
        """Draw this request's fault and wait the latency the request is due.

        The wait is the emulator's latency, plus the fault's ``delay``, plus a
        `Fault.hang` fault's ``seconds``.

        Returns:
            The fault or quirk to apply, or ``None`` to answer normally.
        """
        fault = self._draw_fault()
        wait = self.latency
        if isinstance(fault, Fault):
            wait += fault.delay + fault.seconds
        if wait > 0:
            await asyncio.sleep(wait)
        return fault

    def _draw_fault(self) -> "Fault | Quirk | None":
        if self.faults:
            return self.faults.popleft()
        chance = self._random_fault
        if chance is not None and chance[2].random() < chance[1]:
            return chance[0]
        return None

    def take_quota(self) -> RateDecision | None:
        """Spend one request of the quota.

        Returns:
            The decision, or ``None`` when no rate limit is configured.
        """
        return None if self.limiter is None else self.limiter.take()

    async def wait_released(self) -> None:
        """Wait while the hold gate is closed (see `ServerState.hold`)."""
        if not self._released.is_set():
            await self._released.wait()

    # Knobs, called by the Emulator on the server's event loop.

    def set_random_fault(self, fault: Fault, rate: float, seed: int) -> None:
        """Inject ``fault`` into a random share of requests.

        Args:
            fault: The fault to inject.
            rate: The probability per request, 0-1; 0 turns it off.
            seed: Seed of the random generator, for repeatable runs.

        Raises:
            ValueError: ``rate`` is outside 0-1.
        """
        if not 0 <= rate <= 1:
            raise ValueError(f"rate must be between 0 and 1, got {rate!r}")
        self._random_fault = (fault, rate, random.Random(seed)) if rate > 0 else None

    def hold(self) -> None:
        """Close the gate: streams pause after their first event, web form answers before any."""
        self._released.clear()

    def release(self) -> None:
        """Open the gate: held answers go on."""
        self._released.set()

    def reset(self) -> None:
        """Forget requests, peer ports, queued and random faults, scripted replies, spent quota."""
        self.requests.clear()
        self.peer_ports.clear()
        self.faults.clear()
        self.script.clear()
        self.disconnects = 0
        self._random_fault = None
        if self.limiter is not None:
            self.limiter.reset()

    # Shutdown support.

    def tracked(self, handler: Handler) -> Handler:
        """Wrap a handler so that `cancel_inflight` can stop it.

        Args:
            handler: The handler to wrap.

        Returns:
            A handler that registers its task while it runs.
        """
        inflight = self._inflight

        async def run(request: web.Request) -> web.StreamResponse:
            task = asyncio.current_task()
            if task is None:  # pragma: no cover - aiohttp always runs handlers in a task
                return await handler(request)
            inflight.add(task)
            try:
                return await handler(request)
            except asyncio.CancelledError:
                # aiohttp cancels a handler whose client left (handler_cancellation).
                self.disconnects += 1
                raise
            finally:
                inflight.discard(task)

        return run

    async def cancel_inflight(self, grace: float) -> None:
        """Cancel every running handler and wait (bounded) for them to end.

        Args:
            grace: The most seconds to wait.
        """
        tasks = list(self._inflight)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=grace)
