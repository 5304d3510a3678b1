"""Where the Responses API keeps answers for ``previous_response_id`` and ``GET``.

The store is a small async interface, so the in-memory default can be swapped for a shared
one (Redis, when several gateway processes must see each other's answers) without touching
the routes. Records are plain JSON values: whatever implements the interface may encode them
as it likes.

Every record belongs to an *owner*, the caller key that made it, and is found only under
that owner: a lookup names the owner and the id together, so another key's records are not
even seen. The owner is derived from the key's digest, not its name: renaming a key keeps its
answers, and a new key given an old key's name does not inherit them.
"""

import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Protocol

__all__ = [
    "DEFAULT_STORE_MAX_BYTES",
    "DEFAULT_STORE_MAX_BYTES_PER_OWNER",
    "DEFAULT_STORE_MAX_ENTRIES",
    "DEFAULT_STORE_MAX_ENTRIES_PER_OWNER",
    "DEFAULT_STORE_TTL",
    "MAX_STORED_ID_CHARS",
    "OPEN_OWNER",
    "OWNER_SCOPE",
    "MemoryResponseStore",
    "ResponseStore",
    "StoredRecord",
    "owner_of_key",
    "request_owner",
]

StoredRecord = dict[str, Any]
"""One stored answer: a JSON object (only str keys, JSON values inside)."""

# An hour keeps a conversation going across an agent's steps and a user's pauses; a record
# older than that is more likely abandoned than continued.
DEFAULT_STORE_TTL = 3600.0
# 64 MiB of encoded records: some thousands of ordinary conversations, a small share of a
# gateway's memory. When a new record would pass it, the owner holding the most gives way.
DEFAULT_STORE_MAX_BYTES = 64 * 1024 * 1024
# Bounds the bookkeeping of many tiny records, whatever their size.
DEFAULT_STORE_MAX_ENTRIES = 10_000
# One key's share: a quarter of the store, so one busy key leaves room for others; its own
# oldest answers go first when it passes it.
DEFAULT_STORE_MAX_BYTES_PER_OWNER = 16 * 1024 * 1024
DEFAULT_STORE_MAX_ENTRIES_PER_OWNER = 2_500
# The ids the gateway mints are under 60 characters; a longer one cannot be stored, so it is
# answered as unknown without a lookup.
MAX_STORED_ID_CHARS = 128

# Where the caller key middleware leaves the owner of the request (a str) in the ASGI scope.
OWNER_SCOPE = "aiodynaspark.owner"
# The one owner of a gateway that takes no keys: every caller is the same caller.
OPEN_OWNER = "open"


def owner_of_key(digest: str) -> str:
    """The owner of what a caller key stores, from the key's hex SHA-256 digest.

    Hashed once more, so the store (and Redis) never holds the digests of the keys file.
    """
    return hashlib.sha256(b"aiodynaspark store owner\0" + bytes.fromhex(digest)).hexdigest()[:32]


def request_owner(scope: Mapping[str, Any]) -> str:
    """The owner of a request, as the caller key middleware named it."""
    owner: str = scope.get(OWNER_SCOPE, OPEN_OWNER)
    return owner


class ResponseStore(Protocol):
    """An async key-value store of response records, each with an owner and a time to live."""

    async def get(self, owner: str, response_id: str) -> StoredRecord | None:
        """The owner's record ``response_id``, or ``None`` (never stored by this owner,
        expired, gone)."""
        ...

    async def put(self, owner: str, response_id: str, record: StoredRecord, ttl: float) -> bool:
        """Store ``record`` for ``ttl`` seconds; ``False`` when it was not kept (too large,
        the store not answering or full)."""
        ...

    async def delete(self, owner: str, response_id: str) -> bool:
        """Remove the owner's record; ``True`` if there was one."""
        ...

    async def aclose(self) -> None:
        """Release what the store holds open (connections); the memory store holds nothing."""
        ...


def encode_record(record: StoredRecord) -> bytes:
    """A record as the stores keep it: compact JSON."""
    return json.dumps(record, separators=(",", ":")).encode()


class _Shelf:
    """One owner's records, oldest first, and their encoded size."""

    __slots__ = ("bytes", "records")

    def __init__(self) -> None:
        # Insertion order is expiry order when every record has the same TTL, the usual case;
        # eviction for room takes the oldest first either way.
        self.records: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self.bytes = 0


class MemoryResponseStore:
    """Records in this process's memory, bounded per owner and in total, each with a TTL.

    Records are kept JSON-encoded: their size is known exactly, and what comes back from
    :meth:`get` is a fresh copy the caller may change. An owner past its own bound loses its
    own oldest records; when the whole store is full, the owner holding the most bytes (or
    records, for the count bound) loses its oldest: one key's flood never evicts the answers
    of a key that holds less.

    Args:
        max_bytes: The most encoded bytes kept in all.
        max_entries: The most records kept in all.
        max_bytes_per_owner: The most encoded bytes one owner keeps; a record larger than
            this is not kept at all.
        max_entries_per_owner: The most records one owner keeps.
        clock: Seconds, monotonic (tests pass their own).
    """

    def __init__(
        self,
        *,
        max_bytes: int = DEFAULT_STORE_MAX_BYTES,
        max_entries: int = DEFAULT_STORE_MAX_ENTRIES,
        max_bytes_per_owner: int = DEFAULT_STORE_MAX_BYTES_PER_OWNER,
        max_entries_per_owner: int = DEFAULT_STORE_MAX_ENTRIES_PER_OWNER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if min(max_bytes, max_entries, max_bytes_per_owner, max_entries_per_owner) < 1:
            raise ValueError("the response store needs room for at least one record")
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.max_bytes_per_owner = min(max_bytes_per_owner, max_bytes)
        self.max_entries_per_owner = min(max_entries_per_owner, max_entries)
        self._clock = clock
        self._shelves: dict[str, _Shelf] = {}
        self._bytes = 0
        self._count = 0

    @property
    def size_bytes(self) -> int:
        """The encoded bytes held now."""
        return self._bytes

    def __len__(self) -> int:
        return self._count

    async def get(self, owner: str, response_id: str) -> StoredRecord | None:
        """The owner's record, or ``None`` if it is unknown to this owner or has expired."""
        shelf = self._shelves.get(owner)
        entry = shelf.records.get(response_id) if shelf is not None else None
        if entry is None:
            return None
        expires, data = entry
        if expires <= self._clock():
            self._drop(owner, response_id)
            return None
        record: StoredRecord = json.loads(data)
        return record

    async def put(self, owner: str, response_id: str, record: StoredRecord, ttl: float) -> bool:
        """Store ``record``; ``False`` if it alone is larger than one owner's share."""
        data = encode_record(record)
        shelf = self._shelves.get(owner)
        if shelf is not None and response_id in shelf.records:
            self._drop(owner, response_id)
        if len(data) > self.max_bytes_per_owner:
            return False
        now = self._clock()
        self._purge_expired(now)
        shelf = self._shelves.setdefault(owner, _Shelf())
        while shelf.records and (
            shelf.bytes + len(data) > self.max_bytes_per_owner
            or len(shelf.records) >= self.max_entries_per_owner
        ):
            self._drop(owner, next(iter(shelf.records)))
        while self._bytes + len(data) > self.max_bytes or self._count >= self.max_entries:
            by_bytes = self._bytes + len(data) > self.max_bytes
            largest = max(
                self._shelves,
                key=lambda name: (
                    self._shelves[name].bytes if by_bytes else len(self._shelves[name].records)
                ),
            )
            self._drop(largest, next(iter(self._shelves[largest].records)))
        shelf = self._shelves.setdefault(owner, shelf)
        shelf.records[response_id] = (now + ttl, data)
        shelf.bytes += len(data)
        self._bytes += len(data)
        self._count += 1
        return True

    async def delete(self, owner: str, response_id: str) -> bool:
        """Remove the owner's record; ``True`` if one was there and had not expired."""
        shelf = self._shelves.get(owner)
        entry = shelf.records.get(response_id) if shelf is not None else None
        if entry is None:
            return False
        self._drop(owner, response_id)
        return entry[0] > self._clock()

    async def aclose(self) -> None:
        """Forget every record."""
        self._shelves.clear()
        self._bytes = self._count = 0

    def _drop(self, owner: str, response_id: str) -> None:
        shelf = self._shelves[owner]
        _, data = shelf.records.pop(response_id)
        shelf.bytes -= len(data)
        self._bytes -= len(data)
        self._count -= 1
        if not shelf.records:
            del self._shelves[owner]

    def _purge_expired(self, now: float) -> None:
        # Only from the front of each shelf: exact while all records share one TTL.
        for owner in list(self._shelves):
            shelf = self._shelves[owner]
            while owner in self._shelves and shelf.records:
                key, (expires, _) = next(iter(shelf.records.items()))
                if expires > now:
                    break
                self._drop(owner, key)
