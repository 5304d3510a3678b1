"""The in-memory store of Responses API answers: its time to live and its size bounds."""

from aiodynaspark.server.ops._store import MemoryResponseStore

A = "owner-a"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def record(size: int = 10) -> dict[str, object]:
    return {"response": {"id": "r"}, "messages": [{"role": "user", "content": "x" * size}]}


async def test_a_record_comes_back_as_stored() -> None:
    store = MemoryResponseStore()
    assert await store.put(A, "a", record(), ttl=60)
    assert await store.get(A, "a") == record()


async def test_a_record_expires_after_its_ttl() -> None:
    clock = Clock()
    store = MemoryResponseStore(clock=clock)
    await store.put(A, "a", record(), ttl=60)
    clock.now += 59
    assert await store.get(A, "a") is not None
    clock.now += 2
    assert await store.get(A, "a") is None
    assert len(store) == 0


async def test_the_oldest_records_make_room_within_the_byte_bound() -> None:
    one = len(b'{"response":{"id":"r"},"messages":[{"role":"user","content":""}]}') + 100
    store = MemoryResponseStore(max_bytes=2 * one)
    for key in ("a", "b", "c"):
        assert await store.put(A, key, record(100), ttl=60)
    assert await store.get(A, "a") is None
    assert await store.get(A, "b") is not None and await store.get(A, "c") is not None
    assert store.size_bytes <= 2 * one


async def test_the_entry_bound_drops_the_oldest() -> None:
    store = MemoryResponseStore(max_entries=2)
    for key in ("a", "b", "c"):
        await store.put(A, key, record(), ttl=60)
    assert [await store.get(A, key) is not None for key in ("a", "b", "c")] == [False, True, True]


async def test_a_record_larger_than_the_store_is_not_kept() -> None:
    store = MemoryResponseStore(max_bytes=50)
    assert not await store.put(A, "a", record(100), ttl=60)
    assert await store.get(A, "a") is None and store.size_bytes == 0


async def test_expired_records_are_purged_when_new_ones_arrive() -> None:
    clock = Clock()
    store = MemoryResponseStore(clock=clock)
    await store.put(A, "a", record(), ttl=10)
    clock.now += 11
    await store.put(A, "b", record(), ttl=10)
    assert len(store) == 1


async def test_delete_tells_whether_there_was_a_record() -> None:
    store = MemoryResponseStore()
    await store.put(A, "a", record(), ttl=60)
    assert await store.delete(A, "a")
    assert not await store.delete(A, "a")


async def test_a_returned_record_is_a_copy() -> None:
    store = MemoryResponseStore()
    await store.put(A, "a", record(), ttl=60)
    got = await store.get(A, "a")
    assert got is not None
    got["messages"] = []
    assert await store.get(A, "a") == record()


async def test_another_owner_neither_reads_nor_deletes_a_record() -> None:
    store = MemoryResponseStore()
    await store.put(A, "a", record(), ttl=60)
    assert await store.get("owner-b", "a") is None
    assert not await store.delete("owner-b", "a")
    assert await store.get(A, "a") == record()


async def test_an_owner_past_its_share_loses_its_own_oldest_and_no_one_elses() -> None:
    store = MemoryResponseStore(max_entries_per_owner=2)
    await store.put(A, "a1", record(), ttl=60)
    for key in ("b1", "b2", "b3"):
        await store.put("owner-b", key, record(), ttl=60)
    assert await store.get(A, "a1") is not None
    assert await store.get("owner-b", "b1") is None
    assert len(store) == 3


async def test_a_full_store_takes_room_from_the_owner_holding_the_most() -> None:
    one = len(b'{"response":{"id":"r"},"messages":[{"role":"user","content":""}]}') + 100
    store = MemoryResponseStore(max_bytes=4 * one, max_bytes_per_owner=3 * one)
    await store.put(A, "a1", record(100), ttl=60)
    for key in ("b1", "b2", "b3", "b4"):
        assert await store.put("owner-b", key, record(100), ttl=60)
    assert await store.get(A, "a1") is not None
    assert store.size_bytes <= 4 * one


async def test_a_full_store_by_count_takes_the_owner_with_most_records() -> None:
    store = MemoryResponseStore(max_entries=3)
    await store.put(A, "a1", record(), ttl=60)
    for key in ("b1", "b2", "b3"):
        await store.put("owner-b", key, record(), ttl=60)
    assert await store.get(A, "a1") is not None
    assert [await store.get("owner-b", key) is not None for key in ("b1", "b2", "b3")] == [
        False,
        True,
        True,
    ]
