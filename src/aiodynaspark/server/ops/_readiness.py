"""Readiness: the host's ``/status`` and Redis, probed in the background, read per request.

A load balancer asks ``/health/ready`` often; asking the host each time would multiply its
load by the number of probes. A task in each gateway asks the host's ``/status`` (and pings
Redis, when configured) a few times per interval instead, and the route only reads the
result: the gateway is ready while the host answered within the last interval and Redis
answered its latest ping.

The task starts with the first readiness request, whose answer waits for that first probe.
A gateway nobody asks about readiness (a laptop, a single instance) never probes: a free
host that sleeps when idle is not kept awake by it.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ..._config import DEFAULT_STATUS_TIMEOUT, Settings
from ..._errors import DynasparkError
from ...client import AsyncClient

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["DEFAULT_PROBE_INTERVAL", "REDIS_MEMORY_PRESSURE", "ReadinessProbe", "memory_pressure"]

_log = logging.getLogger(__name__)

# Seconds: how recent the host's last answer must be. Probes run three times per interval,
# so one slow or lost probe does not flip the gateway to not ready.
DEFAULT_PROBE_INTERVAL = 15.0
_PROBES_PER_INTERVAL = 3
# The share of Redis's maxmemory past which readiness says "degraded": under noeviction,
# writes fail at 100 %, and the last tenth goes in seconds under a flood of large answers.
REDIS_MEMORY_PRESSURE = 0.9


def memory_pressure(memory: Mapping[str, object]) -> str | None:
    """What readiness says of Redis's ``INFO memory``: ``None`` below the threshold.

    Args:
        memory: The fields of ``INFO memory`` (``used_memory``, ``maxmemory``).
    """
    used, limit = memory.get("used_memory"), memory.get("maxmemory")
    if not isinstance(used, int) or not isinstance(limit, int) or limit <= 0:
        return None  # no maxmemory: bounded by the host, which Redis does not report
    share = used / limit
    if share < REDIS_MEMORY_PRESSURE:
        return None
    return (
        f"memory pressure: {share:.0%} of maxmemory used (threshold "
        f"{REDIS_MEMORY_PRESSURE:.0%}); new answers may not be stored"
    )


class ReadinessProbe:
    """Asks the host's ``/status`` and pings Redis in the background.

    Args:
        settings: The upstream settings (root, proxy, limits); the probe asks through a
            client of its own, so a busy pool does not make a busy gateway look down.
        interval: Seconds within which the host must have answered.
        redis: The Redis client to ping, or ``None``.
        on_redis_failure: Called when a ping fails (for the metrics).
        clock: Monotonic seconds; replaceable in tests.
    """

    def __init__(
        self,
        settings: Settings,
        interval: float = DEFAULT_PROBE_INTERVAL,
        *,
        redis: "Redis | None" = None,
        on_redis_failure: Callable[[BaseException], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self._every = interval / _PROBES_PER_INTERVAL
        # A probe waits at most the client's check timeout, however long the interval.
        self._timeout = min(self._every, DEFAULT_STATUS_TIMEOUT)
        self._settings = settings
        self._redis = redis
        self._on_redis_failure = on_redis_failure
        self._clock = clock
        self._host_answered: float | None = None
        self._redis_answered = redis is None
        self._redis_memory: str | None = None  # what to say of Redis's memory, if full
        self._task: asyncio.Task[None] | None = None
        self._first = asyncio.Event()

    async def probe_once(self, client: AsyncClient) -> None:
        """Ask the host (through ``client``) and Redis once, and remember what they said."""
        try:
            await client.status(time_limit=self._timeout)
        except DynasparkError as exc:
            _log.info("Readiness: the host's /status did not answer: %s", exc)
        else:
            self._host_answered = self._clock()
        if self._redis is not None:
            try:
                # INFO answers like a ping, and says how full Redis is.
                memory = await self._redis.info("memory")
            except Exception as exc:  # any failure to answer means not ready
                if self._redis_answered:
                    _log.warning("Readiness: Redis did not answer a ping (%s)", type(exc).__name__)
                self._redis_answered = False
                if self._on_redis_failure is not None:
                    self._on_redis_failure(exc)
            else:
                self._redis_answered = True
                self._redis_memory = memory_pressure(memory)

    async def _run(self) -> None:
        settings = self._settings
        client = AsyncClient(
            settings.base_url,
            proxy=settings.proxy,
            trust_env=settings.trust_env,
            limits=settings.limits,
            connection_limit=1,
        )
        async with client:
            while True:
                await self.probe_once(client)
                self._first.set()
                await asyncio.sleep(self._every)

    async def check(self) -> tuple[bool, dict[str, str]]:
        """:meth:`report`, after starting the probe and its first round if not yet running."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        if not self._first.is_set():
            # Bounded by the probe's own timeouts; a second caller waits for the same round.
            await self._first.wait()
        return self.report()

    async def stop(self) -> None:
        """Stop probing and close the probe's connection."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def report(self) -> tuple[bool, dict[str, str]]:
        """Whether the gateway is ready, and what each dependency said, for the answer."""
        answered = self._host_answered
        if answered is None:
            host = "not answered yet"
            host_ok = False
        else:
            age = self._clock() - answered
            host_ok = age <= self.interval
            host = "ok" if host_ok else f"last answered {age:.0f} s ago"
        detail = {"upstream": host}
        if self._redis is not None:
            detail["redis"] = (
                "not answering" if not self._redis_answered else self._redis_memory or "ok"
            )
        ready = host_ok and self._redis_answered
        # Still ready when Redis is nearly full: answers keep flowing, only storing them may
        # fail (and says so); taking every gateway sharing the Redis out would stop them all.
        status = "not ready" if not ready else "degraded" if self._redis_memory else "ready"
        return ready, {"status": status, **detail}
