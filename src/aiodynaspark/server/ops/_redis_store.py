"""The Responses API's store in Redis, so ``previous_response_id`` works on every gateway.

The same interface as the in-memory store (:class:`~._store.ResponseStore`): each record is
one Redis string, JSON-encoded, with the record's time to live set by Redis itself. Memory is
bounded by each record's size limit, the time to live, and the Redis server's ``maxmemory``.

While Redis does not answer, reading or deleting a record is a 503 (the gateway cannot tell
whether the record exists), while storing one is skipped with a warning: the caller still
gets the answer it waited and paid quota for; only continuing from it will not work.
"""

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from .._errors import GatewayError
from ._redis import redis_errors
from ._store import StoredRecord

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisResponseStore", "StoreUnavailableError", "store_unavailable"]

_log = logging.getLogger(__name__)

_PREFIX = "aiodynaspark:response:"
_UNAVAILABLE = GatewayError(
    503,
    "The gateway's response store is not answering; try again in a moment.",
    "api_error",
    "store_unavailable",
    headers=(("retry-after", "1"),),
)


class StoreUnavailableError(Exception):
    """Raised when the response store (Redis) cannot be read: answered with 503."""


async def store_unavailable(request: Request, exc: Exception) -> Response:
    """The exception handler for :class:`StoreUnavailableError`."""
    return _UNAVAILABLE.response(request.url.path)


class RedisResponseStore:
    """Response records in Redis, shared by every gateway using it.

    Args:
        redis: The client (its owner closes it).
        max_record_bytes: A record larger than this, encoded, is not kept.
        on_failure: Called with the exception when Redis fails (for the metrics).
    """

    def __init__(
        self,
        redis: "Redis",
        *,
        max_record_bytes: int,
        on_failure: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._redis = redis
        self.max_record_bytes = max_record_bytes
        self._on_failure = on_failure
        self._errors = redis_errors()

    def _failed(self, what: str, exc: BaseException) -> None:
        _log.warning("Redis did not %s a stored response (%s)", what, type(exc).__name__)
        if self._on_failure is not None:
            self._on_failure(exc)

    async def get(self, response_id: str) -> StoredRecord | None:
        """The record, or ``None`` if it is unknown or has expired.

        Raises:
            StoreUnavailableError: Redis did not answer.
        """
        try:
            data = await self._redis.get(_PREFIX + response_id)
        except self._errors as exc:
            self._failed("read", exc)
            raise StoreUnavailableError(str(exc)) from None
        if data is None:
            return None
        record: StoredRecord = json.loads(data)
        return record

    async def put(self, response_id: str, record: StoredRecord, ttl: float) -> bool:
        """Store ``record`` for ``ttl`` seconds; ``False`` if too large or Redis failed."""
        data = json.dumps(record, separators=(",", ":")).encode()
        if len(data) > self.max_record_bytes:
            return False
        try:
            await self._redis.set(_PREFIX + response_id, data, px=max(1, int(ttl * 1000)))
        except self._errors as exc:
            self._failed("store", exc)
            return False
        return True

    async def delete(self, response_id: str) -> bool:
        """Remove a record; ``True`` if there was one.

        Raises:
            StoreUnavailableError: Redis did not answer.
        """
        try:
            removed = await self._redis.delete(_PREFIX + response_id)
        except self._errors as exc:
            self._failed("delete", exc)
            raise StoreUnavailableError(str(exc)) from None
        return bool(removed)

    async def aclose(self) -> None:
        """Nothing of its own to release: the Redis client belongs to the caller."""
