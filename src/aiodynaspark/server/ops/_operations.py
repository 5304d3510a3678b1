"""What a gateway runs beside its routes: Redis, limits, caller keys, metrics, readiness.

:class:`Operations` is built once per app from its settings, started and stopped in its
lifespan, and read by the middleware and the operational routes (``/health``,
``/health/ready``, ``/metrics``).
"""

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..._config import Settings
from ...types import AttemptOutcome
from ._admission import current_admission
from ._key_store import KeyStore
from ._limiter import FailurePolicy, Limiter, LocalLimiter, QuotaSettings
from ._metrics import GatewayMetrics
from ._rates import parse_rate
from ._readiness import DEFAULT_PROBE_INTERVAL, ReadinessProbe
from ._redis import open_redis
from ._redis_limiter import RedisLimiter

if TYPE_CHECKING:
    from prometheus_client import Counter
    from redis.asyncio import Redis

__all__ = ["Operations"]

_log = logging.getLogger(__name__)

# Notes of the host's quota sent to Redis at once; past this (a Redis that hangs), later
# notes are dropped: the next answer carries the same headers again.
_MAX_PENDING_NOTES = 64


class Operations:
    """The operational state of one app.

    Args:
        redis_url: Share limits through this Redis; ``None``: each process counts alone.
        upstream_rate_limit: The quota of calls to the host (``100/hour``), or ``None``.
        keys_file: The keys file, or ``None``.
        api_key: The single caller key, or ``None``.
        metrics: Keep Prometheus metrics and serve ``/metrics``.
        probe_interval: Seconds within which the host must have answered to be ready.
        upstream_limit_on_redis_failure: The upstream quota's policy while Redis is down.
        key_limit_on_redis_failure: The caller keys' limits' policy while Redis is down.

    Raises:
        ValueError: A malformed rate, Redis URL or keys file.
        OSError: The keys file cannot be read.
    """

    def __init__(
        self,
        *,
        redis_url: str | None = None,
        upstream_rate_limit: str | None = None,
        keys_file: str | Path | None = None,
        api_key: str | None = None,
        metrics: bool = True,
        probe_interval: float = DEFAULT_PROBE_INTERVAL,
        upstream_limit_on_redis_failure: FailurePolicy = "refuse",
        key_limit_on_redis_failure: FailurePolicy = "local",
    ) -> None:
        self.quota = QuotaSettings(
            None if upstream_rate_limit is None else parse_rate(upstream_rate_limit),
            upstream_limit_on_redis_failure,
            key_limit_on_redis_failure,
        )
        self.keys = KeyStore(None if keys_file is None else Path(keys_file), api_key)
        self.metrics = GatewayMetrics() if metrics else None
        self.redis: Redis | None = None if redis_url is None else open_redis(redis_url)
        self.limiter: Limiter = (
            LocalLimiter()
            if self.redis is None
            else RedisLimiter(self.redis, on_failure=self.redis_failed)
        )
        self.probe_interval = probe_interval
        self.probe: ReadinessProbe | None = None
        self._notes: set[asyncio.Task[None]] = set()
        self._attempts: dict[str, Counter] = {}

    def redis_failed(self, exc: BaseException) -> None:
        """Count a time Redis did not answer."""
        if self.metrics is not None:
            self.metrics.redis_failures.inc()

    def observe_attempt(self, outcome: AttemptOutcome, headers: Mapping[str, str] | None) -> None:
        """The upstream client's observer: count the attempt, note the host's quota.

        The request it belongs to (told by the context it runs in) is marked as sent: what it
        took of the limits is not given back.
        """
        pending = current_admission()
        if pending is not None:
            pending.sent()
        if self.metrics is not None:
            counter = self._attempts.get(outcome)
            if counter is None:  # a series per outcome, looked up once (outcomes are few)
                counter = self._attempts[outcome] = self.metrics.upstream_attempts.labels(outcome)
            counter.inc()
        if headers is None:
            return
        remaining = headers.get("x-ratelimit-remaining")
        reset = headers.get("x-ratelimit-reset")
        if remaining is None or reset is None:
            return
        try:
            left, reset_at = int(remaining), float(reset)
        except ValueError:
            return  # not the documented numbers: nothing to learn from them
        if self.metrics is not None:
            self.metrics.quota_remaining.labels("host").set(left)
        sharing = self.limiter.tighten(left, reset_at)
        if sharing is not None and len(self._notes) < _MAX_PENDING_NOTES:
            task = asyncio.ensure_future(sharing)
            self._notes.add(task)
            task.add_done_callback(self._notes.discard)

    def start(self, upstream: Settings) -> None:
        """Prepare the readiness probe of ``upstream``'s host (in the app's lifespan)."""
        self.probe = ReadinessProbe(
            upstream, self.probe_interval, redis=self.redis, on_redis_failure=self.redis_failed
        )

    async def aclose(self) -> None:
        """Stop the probe, finish the pending notes, close the Redis connections."""
        if self.probe is not None:
            await self.probe.stop()
        for task in list(self._notes):
            task.cancel()
        if self._notes:
            await asyncio.gather(*self._notes, return_exceptions=True)
        await self.limiter.aclose()
        if self.redis is not None:
            await self.redis.aclose()
        if self.metrics is not None:
            self.metrics.process_ended()
