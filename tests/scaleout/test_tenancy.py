"""Tenancy across gateways sharing one Redis, and a Redis at its memory limit."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from redis.exceptions import ResponseError

from aiodynaspark.server import create_app
from aiodynaspark.server.ops._redis import open_redis
from aiodynaspark.testing import Emulator
from support.gateway import fetch, run_gateway
from support.redis_server import RedisServer
from support.tenancy import TwoKeys, as_sent, bearer, create, reach

TIMEOUT = 30.0
# Redis itself holds about a megabyte when empty: 2 MB leaves room for a few answers.
MAXMEMORY = ("--maxmemory", "2mb", "--maxmemory-policy", "noeviction")
FILL_CHUNK = 64 * 1024
MOST_CHUNKS = 100


@pytest.fixture
async def two_gateways(
    emu: Emulator, redis_url: str, tmp_path: Path
) -> AsyncIterator[tuple[TwoKeys, str, str]]:
    """Two gateways (two apps, two Redis clients) sharing one Redis and one keys file."""
    keys = TwoKeys(tmp_path)
    async with AsyncExitStack() as stack:
        roots = [
            await stack.enter_async_context(
                run_gateway(
                    create_app(
                        base_url=emu.url,
                        max_retries=0,
                        redis_url=redis_url,
                        keys_file=str(keys.path),
                    )
                )
            )
            for _ in range(2)
        ]
        yield keys, roots[0], roots[1]


async def test_another_key_on_another_gateway_gets_the_unknown_id_404(
    two_gateways: tuple[TwoKeys, str, str],
) -> None:
    keys, one, two = two_gateways
    async with asyncio.timeout(TIMEOUT):
        made = (await create(one, keys.alice)).json()
        bob_while_stored = await reach((two, two, two), keys.bob, made["id"])
        alice_reads = await fetch(
            "GET", f"{two}/v1/responses/{made['id']}", headers=bearer(keys.alice)
        )
        alice_continues = await create(two, keys.alice, previous_response_id=made["id"])
        alice_deletes = await fetch(
            "DELETE", f"{one}/v1/responses/{made['id']}", headers=bearer(keys.alice)
        )
        bob_once_unknown = await reach((two, two, two), keys.bob, made["id"])
    assert [answer.status for answer in bob_while_stored] == [404, 404, 404, 404]
    assert [as_sent(answer) for answer in bob_while_stored] == [
        as_sent(answer) for answer in bob_once_unknown
    ]
    assert [alice_reads.status, alice_continues.status, alice_deletes.status] == [200, 200, 200]


@pytest.fixture(scope="module")
def full_redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(Path(tmp_path_factory.mktemp("full-redis")), *MAXMEMORY)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def _fill(url: str) -> None:
    client = open_redis(url)
    try:
        for index in range(MOST_CHUNKS):
            try:
                await client.set(f"filler:{index}", b"x" * FILL_CHUNK)
            except ResponseError:
                break
        else:
            raise AssertionError("Redis never refused a write")
        # Redis refuses a write only while it is over maxmemory, and it drops back under as
        # soon as this client's buffers are freed: the limit is set below what is held, so
        # the gateway meets the refusal every time, not only in the same millisecond.
        used = (await client.info("memory"))["used_memory"]
        await client.config_set("maxmemory", used - FILL_CHUNK)
    finally:
        await client.aclose()


async def test_with_redis_full_the_answer_says_store_false_and_readiness_says_degraded(
    emu: Emulator, full_redis_server: RedisServer
) -> None:
    app = create_app(base_url=emu.url, max_retries=0, redis_url=full_redis_server.url)
    async with asyncio.timeout(TIMEOUT), run_gateway(app) as root:
        await _fill(full_redis_server.url)
        made = await fetch(
            "POST", f"{root}/v1/responses", json={"model": "gemini-2.0-flash", "input": "Hi"}
        )
        found = await fetch("GET", f"{root}/v1/responses/{made.json()['id']}")
        ready = await fetch("GET", f"{root}/health/ready")
    assert made.status == 200 and made.json()["store"] is False
    assert found.status == 404
    assert ready.status == 200 and ready.json()["status"] == "degraded"
    assert ready.json()["redis"].startswith("memory pressure")
