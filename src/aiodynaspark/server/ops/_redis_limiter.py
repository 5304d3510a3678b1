"""Limits shared by every gateway process through Redis: one server-side script per decision.

The script reads and writes every limit of a request in one step inside Redis, so two
processes can never both see the last free slot: there is no read in Python followed by a
write. Time is Redis' own clock (``TIME``), so gateways on hosts whose clocks disagree still
count in the same windows.

While Redis does not answer, each limit follows its :data:`~._limiter.FailurePolicy`: refuse
(the verdict says ``unavailable``; the gateway answers 503) or count in this process alone.
After a failure Redis is left alone for :data:`REDIS_RETRY_AFTER` seconds, so an outage costs
each request nothing, then tried again; shared counting resumes by itself when it answers.
"""

import dataclasses
import itertools
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from ._limiter import HOST, Limit, LocalLimiter, Taken, Verdict
from ._rates import Decision
from ._redis import redis_errors

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["REDIS_RETRY_AFTER", "RedisLimiter"]

_log = logging.getLogger(__name__)

# How long a process keeps away from a Redis that failed before trying it again: short enough
# that shared counting resumes within a second or so of Redis coming back.
REDIS_RETRY_AFTER = 1.0

# KEYS: one sorted set per limit (members: requests; scores: their times in microseconds),
# then the host's quota (a hash: left, reset). ARGV: this request's member, 1 when it calls
# the host, then each limit's count and window in microseconds.
# Reply: the 1-based index of the first refusing limit (0: allowed; the host's key index
# when the host's quota refused), the wait in microseconds, then per limit the requests in
# the window before this one and the microseconds until its oldest request leaves it; then
# what the host's quota has left (-1: unknown); last, the reset of the host's quota this
# request lowered (0: none), so that giving it back raises that window's count only.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = #KEYS - 1
local used, oldest = {}, {}
local refused, wait = 0, 0
for i = 1, n do
  local count, window = tonumber(ARGV[2 * i + 1]), tonumber(ARGV[2 * i + 2])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local u = redis.call('ZCARD', KEYS[i])
  used[i] = u
  if u >= count then
    local first = redis.call('ZRANGE', KEYS[i], u - count, u - count, 'WITHSCORES')
    local w = tonumber(first[2]) + window - now
    if w > wait then wait = w end
    if refused == 0 then refused = i end
  elseif u > 0 then
    oldest[i] = tonumber(redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')[2])
  end
end
local host_left = nil
if ARGV[2] == '1' then
  host_left = tonumber(redis.call('HGET', KEYS[n + 1], 'left'))
  if host_left and host_left <= 0 then
    local w = redis.call('PTTL', KEYS[n + 1]) * 1000
    if w > 0 then
      if w > wait then wait = w end
      if refused == 0 then refused = n + 1 end
    end
  end
end
local reply = {refused, wait}
for i = 1, n do
  local window = tonumber(ARGV[2 * i + 2])
  if refused == 0 then
    redis.call('ZADD', KEYS[i], now, ARGV[1])
    redis.call('PEXPIRE', KEYS[i], math.ceil(window / 1000))
  end
  reply[#reply + 1] = used[i]
  reply[#reply + 1] = (oldest[i] or now) + window - now
end
local spent = 0
if refused == 0 and host_left and host_left > 0 then
  host_left = redis.call('HINCRBY', KEYS[n + 1], 'left', -1)
  spent = tonumber(redis.call('HGET', KEYS[n + 1], 'reset')) or 0
end
reply[#reply + 1] = host_left or -1
reply[#reply + 1] = spent
return reply
"""

# KEYS: as for _TAKE. ARGV: the request's member, the reset of the host's quota it lowered
# (0: none). Removes exactly that member from each limit (nothing once its window is past)
# and raises the host's count only while it is still the window that was lowered.
# Reply: what the host's quota has left after (-1: untouched).
_GIVE_BACK = """
local n = #KEYS - 1
for i = 1, n do
  redis.call('ZREM', KEYS[i], ARGV[1])
end
if ARGV[2] ~= '0' and redis.call('HGET', KEYS[n + 1], 'reset') == ARGV[2] then
  return redis.call('HINCRBY', KEYS[n + 1], 'left', 1)
end
return -1
"""

# KEYS: the host's quota. ARGV: what the host says is left, and its reset (Unix seconds).
# A report for the window already stored only ever lowers what is left: answers to requests
# sent earlier arrive late and must not raise it again.
_TIGHTEN = """
local t = redis.call('TIME')
local reset_ms = tonumber(ARGV[2]) * 1000
if reset_ms <= tonumber(t[1]) * 1000 then return 0 end
local stored = redis.call('HMGET', KEYS[1], 'left', 'reset')
if stored[2] == ARGV[2] and tonumber(stored[1]) <= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'left', ARGV[1], 'reset', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], reset_ms)
return 1
"""

# Keys share one hash tag, so the script's keys sit on one node of a Redis Cluster too.
DEFAULT_PREFIX = "aiodynaspark:{limits}:"


class RedisLimiter:
    """Limits shared through Redis, with a local fallback for the time it does not answer.

    Args:
        redis: The client (its owner closes it).
        prefix: Prepended to every key; gateways sharing limits use the same one.
        on_failure: Called with the exception when Redis stops answering (for the metrics).
        clock: Monotonic seconds; replaceable in tests.
    """

    def __init__(
        self,
        redis: "Redis",
        *,
        prefix: str = DEFAULT_PREFIX,
        on_failure: Callable[[BaseException], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._take = redis.register_script(_TAKE)
        self._give_back = redis.register_script(_GIVE_BACK)
        self._tighten = redis.register_script(_TIGHTEN)
        self._prefix = prefix
        self._host_key = prefix + HOST
        self._errors = redis_errors()
        self._on_failure = on_failure
        self._clock = clock
        self._down_until = 0.0
        self._members = itertools.count()
        # Unique among every limiter sharing the Redis: a random token, then a counter.
        self._member_prefix = secrets.token_hex(8) + ":"
        self.local = LocalLimiter()
        # What the host's quota held at this process' last decision, and the reset of the
        # last report sent: a report that would not lower it needs no round trip.
        self._host_left: int | None = None
        self._host_reset = 0

    @property
    def shared(self) -> bool:
        """Whether Redis answered last time (or may be tried again now)."""
        return self._clock() >= self._down_until

    def _failed(self, exc: BaseException) -> None:
        if self.shared:
            _log.warning(
                "Redis did not answer (%s); limits follow their fallback for now",
                type(exc).__name__,
            )
        self._down_until = self._clock() + REDIS_RETRY_AFTER
        if self._on_failure is not None:
            self._on_failure(exc)

    async def take(self, limits: Sequence[Limit], *, upstream: bool) -> Verdict:
        """See :meth:`~._limiter.Limiter.take`."""
        if self.shared:
            member = self._member_prefix + str(next(self._members))
            args: list[str | int] = [member, 1 if upstream else 0]
            for limit in limits:
                args += (limit.rate.count, int(limit.rate.period * 1_000_000))
            try:
                reply = await self._take(keys=self._keys(limit.name for limit in limits), args=args)
            except self._errors as exc:
                self._failed(exc)
            else:
                return self._verdict(limits, reply, member)
        return self._fallback(limits, upstream=upstream)

    def _keys(self, names: Iterable[str]) -> list[str]:
        # Each limit's sorted set, then the host's quota: the keys of both scripts.
        return [*(self._prefix + name for name in names), self._host_key]

    async def give_back(self, taken: Taken) -> None:
        """See :meth:`~._limiter.Limiter.give_back`.

        Counted in Redis, it is given back there, in one script; counted here while Redis
        was down, here. While Redis does not answer, the unit stays spent until its window
        passes.
        """
        if taken.member is None:
            self.local.give_back_now(taken)
            return
        reset = 0 if taken.host_reset is None else int(taken.host_reset)
        try:
            left = await self._give_back(keys=self._keys(taken.names), args=[taken.member, reset])
        except self._errors as exc:
            self._failed(exc)
            return
        if int(left) >= 0:
            self._host_left = int(left)

    def _verdict(self, limits: Sequence[Limit], reply: list[int], member: str) -> Verdict:
        refused, wait = int(reply[0]), reply[1] / 1_000_000
        host_left, host_reset = int(reply[-2]), int(reply[-1])
        self._host_left = None if host_left < 0 else host_left
        decisions = []
        for index, limit in enumerate(limits):
            used, reset = int(reply[2 + 2 * index]), reply[3 + 2 * index] / 1_000_000
            count = limit.rate.count
            if refused:
                decisions.append(Decision(False, count, max(0, count - used), wait))
            else:
                decisions.append(Decision(True, count, max(0, count - used - 1), reset))
        if not refused:
            names = tuple(limit.name for limit in limits)
            taken = Taken(names, member=member, host_reset=host_reset or None)
            return Verdict(True, tuple(decisions), taken=taken)
        name = limits[refused - 1].name if refused <= len(limits) else HOST
        return Verdict(False, tuple(decisions), wait, name)

    def _fallback(self, limits: Sequence[Limit], *, upstream: bool) -> Verdict:
        refusing = [limit for limit in limits if limit.on_failure == "refuse"]
        if refusing:
            decisions = tuple(
                Decision(False, limit.rate.count, 0, REDIS_RETRY_AFTER) for limit in limits
            )
            return Verdict(False, decisions, REDIS_RETRY_AFTER, refusing[0].name, True, True)
        verdict = self.local.take_now(limits, upstream=upstream)
        return dataclasses.replace(verdict, fallback=True)

    def host_wait(self) -> float | None:
        """See :meth:`~._limiter.Limiter.host_wait`: as this process last heard."""
        return self.local.host_wait()

    def tighten(self, remaining: int, reset_at: float) -> Awaitable[None] | None:
        """See :meth:`~._limiter.Limiter.tighten`; a failure only stops the shared note."""
        reset = int(reset_at)
        self.local.tighten(remaining, reset)
        if (
            reset == self._host_reset
            and self._host_left is not None
            and self._host_left <= remaining
        ):
            return None  # Redis holds as little or less already.
        if not self.shared:
            return None
        self._host_reset = reset
        return self._share_host(remaining, reset)

    async def _share_host(self, remaining: int, reset: int) -> None:
        try:
            await self._tighten(keys=[self._host_key], args=[remaining, reset])
        except self._errors as exc:
            self._failed(exc)

    async def aclose(self) -> None:
        """Nothing of its own to release: the Redis client belongs to the caller."""
