"""Shared fixtures: a real emulator on 127.0.0.1, a real redis-server, small real images."""

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

from support.redis_server import RedisServer

if TYPE_CHECKING:
    from aiodynaspark.testing import Emulator

# Under mutmut (which sets MUTANT_UNDER_TEST) every call goes through its trampoline, so an
# example can outlast Hypothesis's deadline; and a mutant must meet the same examples on
# every run, or whether it survives would depend on the draw.
settings.register_profile(
    "mutmut",
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
if "MUTANT_UNDER_TEST" in os.environ:
    settings.load_profile("mutmut")


# A bounded load test does thousands of requests: on a machine at load 10 one took 51 s, near
# the suite's 60 s hang guard, so load tests get a wider one unless they set their own.
LOAD_TEST_TIMEOUT = 180


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("load") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(LOAD_TEST_TIMEOUT))


@pytest.fixture
async def emu() -> AsyncIterator["Emulator"]:
    from aiodynaspark.testing import Emulator

    async with Emulator() as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The tests set their own configuration; the machine's must not leak in.
    for name in (
        "DYNASPARK_BASE_URL",
        "DYNASPARK_API_KEY",
        "DYNASPARK_TIMEOUT",
        "DYNASPARK_MAX_RETRIES",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


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
    from aiodynaspark.server.ops._redis import open_redis

    client = open_redis(redis_server.url)
    try:
        async with asyncio.timeout(5):
            await client.flushall()
    finally:
        await client.aclose()
    return redis_server.url
