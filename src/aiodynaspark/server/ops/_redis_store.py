"""The Responses API's store in Redis, so ``previous_response_id`` works on every gateway.

The same interface as the in-memory store (:class:`~._store.ResponseStore`): each record is
one Redis string, JSON-encoded, under a key that names its owner, with the record's time to
live set by Redis itself. Each owner also has an index (a sorted set of its ids by expiry, and
a hash of their sizes), so one script stores a record and drops that owner's oldest ones
past its share: what one key stores never evicts another's. An owner's keys share one hash
tag (``{owner}``), so the script also runs on a Redis Cluster. The whole is bounded by the
Redis server's ``maxmemory``.

While Redis does not answer, reading or deleting a record is a 503 (the gateway cannot tell
whether the record exists), while storing one is skipped with a warning, as it is when Redis
refuses it (out of memory under ``noeviction``): the caller still gets the answer it waited
and paid quota for, marked ``"store": false``; only continuing from it will not work.
"""

import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from .._errors import GatewayError
from ._redis import redis_errors
from ._store import StoredRecord, encode_record

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisResponseStore", "StoreUnavailableError", "store_unavailable"]

_log = logging.getLogger(__name__)

_PREFIX = "aiodynaspark:response:"
_INDEX = "aiodynaspark:responses-of:"
_UNAVAILABLE = GatewayError(
    503,
    "The gateway's response store is not answering; try again in a moment.",
    "api_error",
    "store_unavailable",
    headers=(("retry-after", "1"),),
)

# The record is written first: under noeviction at maxmemory Redis refuses that write before
# the script changes anything. Then the owner's expired ids leave its index, and its oldest
# records go while its share is passed.
_PUT = """
local index, sizes, record = KEYS[1], KEYS[2], KEYS[3]
local prefix, id, data = ARGV[1], ARGV[2], ARGV[3]
local ttl, now = tonumber(ARGV[4]), tonumber(ARGV[5])
local max_bytes, max_entries = tonumber(ARGV[6]), tonumber(ARGV[7])
redis.call('SET', record, data, 'PX', ttl)
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', index, '-inf', now)) do
  redis.call('ZREM', index, gone)
  redis.call('HDEL', sizes, gone)
end
redis.call('ZREM', index, id)
redis.call('HDEL', sizes, id)
local size = string.len(data)
local total, count = 0, 0
for _, held in ipairs(redis.call('HVALS', sizes)) do
  total = total + tonumber(held)
  count = count + 1
end
while count > 0 and (total + size > max_bytes or count >= max_entries) do
  local oldest = redis.call('ZRANGE', index, 0, 0)[1]
  total = total - tonumber(redis.call('HGET', sizes, oldest) or '0')
  count = count - 1
  redis.call('ZREM', index, oldest)
  redis.call('HDEL', sizes, oldest)
  redis.call('DEL', prefix .. oldest)
end
redis.call('ZADD', index, now + ttl, id)
redis.call('HSET', sizes, id, size)
redis.call('PEXPIRE', index, ttl)
redis.call('PEXPIRE', sizes, ttl)
return 1
"""


class StoreUnavailableError(Exception):
    """Raised when the response store (Redis) cannot be read: answered with 503."""


async def store_unavailable(request: Request, exc: Exception) -> Response:
    """The exception handler for :class:`StoreUnavailableError`."""
    return _UNAVAILABLE.response(request.url.path)


class RedisResponseStore:
    """Response records in Redis, shared by every gateway using it.

    Args:
        redis: The client (its owner closes it).
        max_bytes_per_owner: The most encoded bytes one owner keeps; a record larger than
            this is not kept.
        max_entries_per_owner: The most records one owner keeps.
        on_failure: Called with the exception when Redis fails (for the metrics).
    """

    def __init__(
        self,
        redis: "Redis",
        *,
        max_bytes_per_owner: int,
        max_entries_per_owner: int,
        on_failure: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._redis = redis
        self.max_bytes_per_owner = max_bytes_per_owner
        self.max_entries_per_owner = max_entries_per_owner
        self._on_failure = on_failure
        self._errors = redis_errors()
        self._put = redis.register_script(_PUT)

    def _failed(self, what: str, exc: BaseException) -> None:
        _log.warning("Redis did not %s a stored response (%s)", what, type(exc).__name__)
        if self._on_failure is not None:
            self._on_failure(exc)

    async def get(self, owner: str, response_id: str) -> StoredRecord | None:
        """The owner's record, or ``None`` if it is unknown to this owner or has expired.

        Raises:
            StoreUnavailableError: Redis did not answer.
        """
        try:
            data = await self._redis.get(f"{_PREFIX}{{{owner}}}:{response_id}")
        except self._errors as exc:
            self._failed("read", exc)
            raise StoreUnavailableError(str(exc)) from None
        if data is None:
            return None
        record: StoredRecord = json.loads(data)
        return record

    async def put(self, owner: str, response_id: str, record: StoredRecord, ttl: float) -> bool:
        """Store ``record`` for ``ttl`` seconds; ``False`` if too large, or Redis refused or
        did not answer."""
        data = encode_record(record)
        if len(data) > self.max_bytes_per_owner:
            return False
        index = f"{_INDEX}{{{owner}}}"
        keys = [index + ":ids", index + ":sizes", f"{_PREFIX}{{{owner}}}:{response_id}"]
        args: list[str | bytes | int] = [
            f"{_PREFIX}{{{owner}}}:",
            response_id,
            data,
            max(1, int(ttl * 1000)),
            int(time.time() * 1000),
            self.max_bytes_per_owner,
            self.max_entries_per_owner,
        ]
        try:
            await self._put(keys=keys, args=args)
        except self._errors as exc:
            self._failed("store", exc)
            return False
        return True

    async def delete(self, owner: str, response_id: str) -> bool:
        """Remove the owner's record; ``True`` if there was one.

        Raises:
            StoreUnavailableError: Redis did not answer.
        """
        index = f"{_INDEX}{{{owner}}}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(f"{_PREFIX}{{{owner}}}:{response_id}")
                pipe.zrem(index + ":ids", response_id)
                pipe.hdel(index + ":sizes", response_id)
                removed, _, _ = await pipe.execute()
        except self._errors as exc:
            self._failed("delete", exc)
            raise StoreUnavailableError(str(exc)) from None
        return bool(removed)

    async def aclose(self) -> None:
        """Nothing of its own to release: the Redis client belongs to the caller."""
