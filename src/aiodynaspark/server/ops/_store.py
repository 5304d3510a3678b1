"""Where the Responses API keeps answers for ``previous_response_id`` and ``GET``.

The store is a small async interface, so the in-memory default can be swapped for a shared
one (Redis, when several gateway processes must see each other's answers) without touching
the routes. Records are plain JSON values: whatever implements the interface may encode them
as it likes.
"""

import json
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

__all__ = [
    "DEFAULT_STORE_MAX_BYTES",
    "DEFAULT_STORE_MAX_ENTRIES",
    "DEFAULT_STORE_TTL",
    "MemoryResponseStore",
    "ResponseStore",
    "StoredRecord",
]

StoredRecord = dict[str, Any]
"""One stored answer: a JSON object (only str keys, JSON values inside)."""

# An hour keeps a conversation going across an agent's steps and a user's pauses; a record
# older than that is more likely abandoned than continued.
DEFAULT_STORE_TTL = 3600.0
# 64 MiB of encoded records: some thousands of ordinary conversations, a small share of a
# gateway's memory. The oldest records go first when a new one would pass it.
DEFAULT_STORE_MAX_BYTES = 64 * 1024 * 1024
# Bounds the bookkeeping of many tiny records, whatever their size.
DEFAULT_STORE_MAX_ENTRIES = 10_000


class ResponseStore(Protocol):
    """An async key-value store of response records, each with a time to live."""

    async def get(self, response_id: str) -> StoredRecord | None:
        """The record stored under ``response_id``, or ``None`` (never stored, expired, gone)."""
        ...

    async def put(self, response_id: str, record: StoredRecord, ttl: float) -> bool:
        """Store ``record`` for ``ttl`` seconds; ``False`` when it was not kept (too large)."""
        ...

    async def delete(self, response_id: str) -> bool:
        """Remove a record; ``True`` if there was one."""
        ...

    async def aclose(self) -> None:
        """Release what the store holds open (connections); the memory store holds nothing."""
        ...


class MemoryResponseStore:
    """Records in this process's memory, bounded in total size and count, each with a TTL.

    Records are kept JSON-encoded: their size is known exactly, and what comes back from
    :meth:`get` is a fresh copy the caller may change.

    Args:
        max_bytes: The most encoded bytes kept; the oldest records are dropped to make room,
            and a record larger than this is not kept at all.
        max_entries: The most records kept.
        clock: Seconds, monotonic (tests pass their own).
    """

    def __init__(
        self,
        *,
        max_bytes: int = DEFAULT_STORE_MAX_BYTES,
        max_entries: int = DEFAULT_STORE_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_bytes < 1 or max_entries < 1:
            raise ValueError("the response store needs room for at least one record")
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._clock = clock
        # Insertion order is expiry order when every record has the same TTL, the usual case;
        # eviction for room takes the oldest first either way.
        self._records: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0

    @property
    def size_bytes(self) -> int:
        """The encoded bytes held now."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._records)

    async def get(self, response_id: str) -> StoredRecord | None:
        """The record, or ``None`` if it is unknown or has expired."""
        entry = self._records.get(response_id)
        if entry is None:
            return None
        expires, data = entry
        if expires <= self._clock():
            self._drop(response_id)
            return None
        record: StoredRecord = json.loads(data)
        return record

    async def put(self, response_id: str, record: StoredRecord, ttl: float) -> bool:
        """Store ``record``; ``False`` if it alone is larger than the whole store."""
        data = json.dumps(record, separators=(",", ":")).encode()
        if response_id in self._records:
            self._drop(response_id)
        if len(data) > self.max_bytes:
            return False
        now = self._clock()
        self._purge_expired(now)
        while self._records and (
            self._bytes + len(data) > self.max_bytes or len(self._records) >= self.max_entries
        ):
            self._drop(next(iter(self._records)))
        self._records[response_id] = (now + ttl, data)
        self._bytes += len(data)
        return True

    async def delete(self, response_id: str) -> bool:
        """Remove a record; ``True`` if one was there and had not expired."""
        entry = self._records.get(response_id)
        if entry is None:
            return False
        self._drop(response_id)
        return entry[0] > self._clock()

    async def aclose(self) -> None:
        """Forget every record."""
        self._records.clear()
        self._bytes = 0

    def _drop(self, response_id: str) -> None:
        _, data = self._records.pop(response_id)
        self._bytes -= len(data)

    def _purge_expired(self, now: float) -> None:
        # Only from the front: cheap, and exact while all records share one TTL.
        while self._records:
            key, (expires, _) = next(iter(self._records.items()))
            if expires > now:
                break
            self._drop(key)
