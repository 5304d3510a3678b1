"""The limiter interface, and the in-process limiter used without Redis (or while it is down).

One decision covers every limit a request meets (its caller key's rate, the upstream quota,
and the host's own count of what is left) and is all or nothing: a request refused by one
limit is counted by none, so a caller over its own limit spends no upstream quota. What an
allowed decision counted can be given back (:meth:`Limiter.give_back`) when its request ends
before anything was sent to the host: a request the library refuses as bad input spends
nothing.

Each limit is a sliding log: the times of the requests in the last window. It holds over
every window of that length, not only over aligned ones, so it never lets through more than
a host that counts in fixed windows would accept.
"""

import collections
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from ._rates import Decision, Rate

__all__ = ["FailurePolicy", "Limit", "Limiter", "LocalLimiter", "Taken", "Verdict"]

FailurePolicy = Literal["refuse", "local"]
"""What a shared limit does while Redis does not answer: refuse (503), or count locally."""

HOST = "host"
"""The name :attr:`Verdict.refused_by` gives the host's own quota (its rate limit headers)."""


@dataclass(frozen=True, slots=True)
class Limit:
    """One limit a request must fit in.

    Attributes:
        name: What it limits, unique per limiter (``upstream``, ``key:alice``).
        rate: How many requests per window.
        on_failure: What to do while the shared store does not answer.
    """

    name: str
    rate: Rate
    on_failure: FailurePolicy = "refuse"


@dataclass(frozen=True, slots=True)
class Taken:
    """What one allowed decision counted: enough to give exactly that back.

    Attributes:
        names: The limits that counted the request.
        at: When this process counted it (its clock), when counted here.
        member: The request's member in each limit's Redis set, when counted there.
        host_reset: The reset of the host's quota whose count it lowered, or ``None``.
    """

    names: tuple[str, ...]
    at: float = 0.0
    member: str | None = None
    host_reset: float | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision on one request, over all its limits.

    Attributes:
        allowed: Whether the request may go on; then it was counted by every limit.
        decisions: One decision per limit, in the order asked.
        retry_after: When refused, seconds until every refusing limit has room.
        refused_by: The name of the first limit that refused (``host`` for the host's
            quota), or ``None``.
        unavailable: Refused because the shared store is down and a limit's policy is
            ``refuse``.
        fallback: Decided without the shared store, which did not answer.
        taken: When allowed, what was counted (for :meth:`Limiter.give_back`).
    """

    allowed: bool
    decisions: tuple[Decision, ...]
    retry_after: float = 0.0
    refused_by: str | None = None
    unavailable: bool = False
    fallback: bool = False
    taken: Taken | None = None


class Limiter(Protocol):
    """Counts requests against limits, alone or shared with other processes."""

    async def take(self, limits: Sequence[Limit], *, upstream: bool) -> Verdict:
        """Count one request against every limit, if all have room.

        Args:
            limits: The limits this request meets.
            upstream: The request will call the host, so the host's own quota applies.
        """
        ...

    async def give_back(self, taken: Taken) -> None:
        """Uncount a request that ended before anything was sent to the host.

        Gives back exactly what its decision counted, and nothing once its window is past.
        """
        ...

    def tighten(self, remaining: int, reset_at: float) -> Awaitable[None] | None:
        """Note the host's word: ``remaining`` requests left until Unix time ``reset_at``.

        Returns:
            What is left to do to share the note (await it), or ``None``: noted already.
        """
        ...

    def host_wait(self) -> float | None:
        """Seconds until the host's quota comes back, when it said none is left; else None."""
        ...

    async def aclose(self) -> None:
        """Release what the limiter holds."""
        ...


class LocalLimiter:
    """The limits of this process alone: exact within it, unaware of any other.

    Args:
        clock: Seconds from any fixed point (monotonic); replaceable in tests.
        wall_clock: Unix time, to read the host's reset times.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._wall_clock = wall_clock
        self._logs: dict[str, collections.deque[float]] = {}
        self._host_left: int | None = None
        self._host_reset_at = 0.0

    def _log(self, limit: Limit, now: float) -> collections.deque[float]:
        log = self._logs.get(limit.name)
        if log is None:
            # Bounded by the rate's count: at most that many times are ever kept.
            log = self._logs[limit.name] = collections.deque(maxlen=limit.rate.count)
        elif log.maxlen != limit.rate.count:
            # The rate changed (a keys file edit): keep the newest times that still fit.
            log = self._logs[limit.name] = collections.deque(log, maxlen=limit.rate.count)
        horizon = now - limit.rate.period
        while log and log[0] <= horizon:
            log.popleft()
        return log

    def host_wait(self) -> float | None:
        """Seconds until the host's quota comes back, when it said none is left; else None."""
        if self._host_left is None or self._host_left > 0:
            return None
        wait = self._host_reset_at - self._wall_clock()
        if wait <= 0:
            self._host_left = None
            return None
        return wait

    def spend_host(self) -> float | None:
        """Count one request against what the host said is left.

        Returns:
            The reset of the host's count it lowered, or ``None``: nothing is known of it.
        """
        if self._host_left is None:
            return None
        self._host_left -= 1
        return self._host_reset_at

    async def take(self, limits: Sequence[Limit], *, upstream: bool) -> Verdict:
        """See :meth:`Limiter.take`."""
        return self.take_now(limits, upstream=upstream)

    def take_now(self, limits: Sequence[Limit], *, upstream: bool) -> Verdict:
        """:meth:`take`, without awaiting: the fallback of a shared limiter uses it too."""
        now = self._clock()
        logs = [self._log(limit, now) for limit in limits]
        refused_by: str | None = None
        wait = 0.0
        for limit, log in zip(limits, logs, strict=True):
            if len(log) >= limit.rate.count:
                wait = max(wait, log[0] + limit.rate.period - now)
                refused_by = refused_by or limit.name
        if upstream and (host_wait := self.host_wait()) is not None:
            wait = max(wait, host_wait)
            refused_by = refused_by or HOST
        if refused_by is not None:
            decisions = tuple(
                Decision(False, limit.rate.count, 0, wait)
                if len(log) >= limit.rate.count
                else Decision(False, limit.rate.count, limit.rate.count - len(log), wait)
                for limit, log in zip(limits, logs, strict=True)
            )
            return Verdict(False, decisions, wait, refused_by)
        for log in logs:
            log.append(now)
        host_reset = self.spend_host() if upstream else None
        return Verdict(
            True,
            tuple(
                Decision(
                    True,
                    limit.rate.count,
                    limit.rate.count - len(log),
                    log[0] + limit.rate.period - now,
                )
                for limit, log in zip(limits, logs, strict=True)
            ),
            taken=Taken(tuple(limit.name for limit in limits), at=now, host_reset=host_reset),
        )

    async def give_back(self, taken: Taken) -> None:
        """See :meth:`Limiter.give_back`."""
        self.give_back_now(taken)

    def give_back_now(self, taken: Taken) -> None:
        """:meth:`give_back`, without awaiting: the fallback of a shared limiter uses it too."""
        for name in taken.names:
            log = self._logs.get(name)
            # Gone from the log once its window passed: then there is nothing to give back.
            if log is not None and taken.at in log:
                log.remove(taken.at)
        if (
            taken.host_reset is not None
            and self._host_left is not None
            and self._host_reset_at == taken.host_reset
        ):
            self._host_left += 1

    def tighten(self, remaining: int, reset_at: float) -> None:
        """See :meth:`Limiter.tighten`: noted at once."""
        if reset_at <= self._wall_clock():
            return
        same_window = self._host_left is not None and self._host_reset_at == reset_at
        if not same_window or remaining < (self._host_left or 0):
            self._host_left = remaining
            self._host_reset_at = reset_at

    async def aclose(self) -> None:
        """Nothing to release."""


@dataclass(frozen=True, slots=True)
class QuotaSettings:
    """The limits every request meets, and what each does while Redis is down.

    Attributes:
        upstream_rate: The quota of calls to the host shared by every gateway, or ``None``.
        upstream_on_failure: The upstream quota's policy while Redis is down.
        keys_on_failure: The caller keys' limits' policy while Redis is down.
    """

    upstream_rate: Rate | None = None
    upstream_on_failure: FailurePolicy = "refuse"
    keys_on_failure: FailurePolicy = "local"
