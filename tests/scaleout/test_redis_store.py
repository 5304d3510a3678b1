"""The Responses store in Redis: shared records with a time to live, and Redis failures."""

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from aiodynaspark.server.ops._redis import open_redis
from aiodynaspark.server.ops._redis_store import RedisResponseStore, StoreUnavailableError
from support.redis_server import RedisServer

A = "owner-a"
RECORD = {"response": {"id": "resp_1", "output": []}, "messages": [{"role": "user"}]}


@pytest.fixture
async def stores(redis_url: str) -> AsyncIterator[tuple[RedisResponseStore, RedisResponseStore]]:
    """Two stores on two connections to one Redis, as two gateways hold them."""
    one, two = open_redis(redis_url), open_redis(redis_url)
    try:
        yield (
            RedisResponseStore(one, max_bytes_per_owner=1000, max_entries_per_owner=100),
            RedisResponseStore(two, max_bytes_per_owner=1000, max_entries_per_owner=100),
        )
    finally:
        await one.aclose()
        await two.aclose()


async def test_a_record_put_by_one_gateway_is_read_and_deleted_by_another(
    stores: tuple[RedisResponseStore, RedisResponseStore],
) -> None:
    one, two = stores
    async with asyncio.timeout(5):
        assert await one.put(A, "resp_1", RECORD, ttl=60)
        assert await two.get(A, "resp_1") == RECORD
        assert await two.delete(A, "resp_1")
        assert await one.get(A, "resp_1") is None
        assert not await one.delete(A, "resp_1")


async def test_a_record_expires_after_its_time_to_live(
    stores: tuple[RedisResponseStore, RedisResponseStore],
) -> None:
    one, _ = stores
    async with asyncio.timeout(5):
        assert await one.put(A, "resp_1", RECORD, ttl=0.05)
        await asyncio.sleep(0.2)
        assert await one.get(A, "resp_1") is None


async def test_a_record_larger_than_the_limit_is_not_kept(
    stores: tuple[RedisResponseStore, RedisResponseStore],
) -> None:
    one, _ = stores
    async with asyncio.timeout(5):
        assert not await one.put(A, "resp_1", {"text": "x" * 2000}, ttl=60)
        assert await one.get(A, "resp_1") is None


async def test_while_redis_is_down_reads_are_unavailable_and_writes_skipped(
    stores: tuple[RedisResponseStore, RedisResponseStore], redis_server: RedisServer
) -> None:
    one, _ = stores
    redis_server.stop()
    try:
        async with asyncio.timeout(10):
            assert not await one.put(A, "resp_1", RECORD, ttl=60)
            with pytest.raises(StoreUnavailableError):
                await one.get(A, "resp_1")
            with pytest.raises(StoreUnavailableError):
                await one.delete(A, "resp_1")
    finally:
        redis_server.start()
    async with asyncio.timeout(10):
        assert await one.put(A, "resp_1", RECORD, ttl=60)


async def test_another_owner_neither_reads_nor_deletes_a_record_in_redis(
    stores: tuple[RedisResponseStore, RedisResponseStore],
) -> None:
    one, two = stores
    async with asyncio.timeout(5):
        assert await one.put(A, "resp_1", RECORD, ttl=60)
        assert await two.get("owner-b", "resp_1") is None
        assert not await two.delete("owner-b", "resp_1")
        assert await two.get(A, "resp_1") == RECORD


async def test_an_owner_past_its_share_in_redis_loses_its_own_oldest_only(
    redis_url: str,
) -> None:
    client = open_redis(redis_url)
    store = RedisResponseStore(client, max_bytes_per_owner=1000, max_entries_per_owner=2)
    try:
        async with asyncio.timeout(5):
            assert await store.put(A, "a1", RECORD, ttl=60)
            for key in ("b1", "b2", "b3"):
                assert await store.put("owner-b", key, RECORD, ttl=60)
            assert await store.get(A, "a1") == RECORD
            assert await store.get("owner-b", "b1") is None
            assert await store.get("owner-b", "b3") == RECORD
    finally:
        await client.aclose()


async def test_an_owner_past_its_bytes_in_redis_loses_its_oldest(redis_url: str) -> None:
    client = open_redis(redis_url)
    size = len(json.dumps(RECORD, separators=(",", ":")))
    store = RedisResponseStore(client, max_bytes_per_owner=2 * size, max_entries_per_owner=100)
    try:
        async with asyncio.timeout(5):
            for key in ("b1", "b2", "b3"):
                assert await store.put("owner-b", key, RECORD, ttl=60)
            found = [await store.get("owner-b", key) is not None for key in ("b1", "b2", "b3")]
            assert found == [False, True, True]
    finally:
        await client.aclose()
