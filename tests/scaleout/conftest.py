"""Fixtures of the scale-out tests: a real redis-server, shared by the module's tests."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiodynaspark.server._redis import open_redis
from redis_server import RedisServer


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server on 127.0.0.1 (free port, no persistence), for the whole module."""
    server = RedisServer(Path(tmp_path_factory.mktemp("redis")))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def redis_url(redis_server: RedisServer) -> str:
    """The module's Redis, emptied before the test."""
    client = open_redis(redis_server.url)
    try:
        async with asyncio.timeout(5):
            await client.flushall()
    finally:
        await client.aclose()
    return redis_server.url
