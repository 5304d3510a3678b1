"""Two gateways behind nginx, sharing one Redis, in front of the emulator: real processes.

Every gateway runs ``--upstream-rate-limit 10/minute`` and the same keys file. Redis is
emptied before each test, so each starts with the whole quota.
"""

import asyncio
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from aiodynaspark.server.ops._keys import CallerKey, hash_key, new_key, write_keys_file
from aiodynaspark.server.ops._redis import open_redis
from support.deployment import (
    NGINX_TEMPLATE,
    REPOSITORY,
    Deployment,
    console_script,
    deployment_in,
    wait_until_answers,
)
from support.ports import free_port

pytestmark = pytest.mark.timeout(120)

HI = {"model": "gemini-2.0-flash", "messages": [{"role": "user", "content": "Hi"}]}
TIMEOUT = aiohttp.ClientTimeout(total=20)
LOAD_KEY = new_key()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    directory = tmp_path_factory.mktemp("deployment")
    keys_file = directory / "keys.toml"
    write_keys_file(keys_file, [CallerKey("load", hash_key(LOAD_KEY))])
    with deployment_in(directory, keys_file) as running:
        yield running


@pytest.fixture
async def fresh(deployment: Deployment) -> Deployment:
    """The deployment with Redis emptied (the whole quota back) and Redis running."""
    redis = open_redis(deployment.redis.url)
    try:
        async with asyncio.timeout(5):
            await redis.flushall()
    finally:
        await redis.aclose()
    return deployment


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=TIMEOUT) as client:
        yield client


async def poll(check: Callable[[], Awaitable[bool]], seconds: float, every: float) -> None:
    """Ask ``check`` every ``every`` seconds until it holds.

    Raises:
        TimeoutError: It did not hold within ``seconds``.
    """
    for _ in range(int(seconds / every) + 1):
        if await check():
            return
        await asyncio.sleep(every)
    raise TimeoutError(f"not within {seconds} s")


async def chat(session: aiohttp.ClientSession, root: str, key: str = LOAD_KEY) -> int:
    headers = {"Authorization": f"Bearer {key}"}
    async with session.post(f"{root}/v1/chat/completions", json=HI, headers=headers) as answer:
        await answer.read()
        return answer.status


async def chat_requests_counted(session: aiohttp.ClientSession, gateway: str) -> float:
    async with session.get(f"{gateway}/metrics") as answer:
        text = await answer.text()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "aiodynaspark_requests_total"
        and sample.labels["route"] == "/v1/chat/completions"
    )


def test_the_deployment_page_shows_the_nginx_configuration_the_tests_use() -> None:
    page = (REPOSITORY / "docs" / "deployment.md").read_text()
    assert NGINX_TEMPLATE.read_text() in page
    assert (REPOSITORY / "docs" / "deployment" / "aiodynaspark@.service").read_text() in page


async def test_a_limit_of_10_per_minute_holds_at_exactly_10_across_both_gateways(
    fresh: Deployment, session: aiohttp.ClientSession
) -> None:
    before = [await chat_requests_counted(session, g) for g in fresh.gateways]
    async with asyncio.timeout(60):
        statuses = await asyncio.gather(*(chat(session, fresh.balancer) for _ in range(40)))
    after = [await chat_requests_counted(session, g) for g in fresh.gateways]
    assert sorted(statuses) == [200] * 10 + [429] * 30
    # nginx spread the load: both gateways answered, and together held the one limit.
    assert all(b > a for a, b in zip(before, after, strict=True))


async def test_metrics_of_both_gateways_add_up_to_the_requests_sent(
    fresh: Deployment, session: aiohttp.ClientSession
) -> None:
    before = sum([await chat_requests_counted(session, g) for g in fresh.gateways])
    async with asyncio.timeout(60):
        await asyncio.gather(*(chat(session, fresh.balancer) for _ in range(15)))
    after = sum([await chat_requests_counted(session, g) for g in fresh.gateways])
    assert after - before == 15


async def test_a_revoked_key_stops_working_on_both_gateways(
    fresh: Deployment, session: aiohttp.ClientSession
) -> None:
    alice = new_key()
    entries = [CallerKey("load", hash_key(LOAD_KEY)), CallerKey("alice", hash_key(alice))]
    write_keys_file(fresh.keys_file, entries)

    async def everywhere(key: str, status: int) -> bool:
        return all([await models(session, g, key) == status for g in fresh.gateways])

    await poll(lambda: everywhere(alice, 200), 10, 0.05)
    revoke = await asyncio.create_subprocess_exec(
        console_script(), "keys", "revoke", "alice", "--file", str(fresh.keys_file),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    async with asyncio.timeout(30):
        assert await revoke.wait() == 0
    await poll(lambda: everywhere(alice, 401), 10, 0.02)
    assert all([await models(session, g, LOAD_KEY) == 200 for g in fresh.gateways])


async def test_a_response_made_on_one_gateway_continues_on_the_other(
    fresh: Deployment, session: aiohttp.ClientSession
) -> None:
    headers = {"Authorization": f"Bearer {LOAD_KEY}"}
    one, two = fresh.gateways
    turn = {"model": "gemini-2.0-flash", "input": "Hi"}
    async with session.post(f"{one}/v1/responses", json=turn, headers=headers) as answer:
        assert answer.status == 200
        first = await answer.json()
    follow = {**turn, "input": "And then?", "previous_response_id": first["id"]}
    async with session.post(f"{two}/v1/responses", json=follow, headers=headers) as answer:
        assert answer.status == 200, await answer.text()
        second = await answer.json()
    assert second["previous_response_id"] == first["id"]


async def models(session: aiohttp.ClientSession, root: str, key: str) -> int:
    async with session.get(f"{root}/v1/models", headers={"Authorization": f"Bearer {key}"}) as a:
        await a.read()
        return a.status


async def ready(session: aiohttp.ClientSession, root: str) -> int:
    async with session.get(f"{root}/health/ready") as answer:
        await answer.read()
        return answer.status


async def test_redis_stopped_refuses_with_503_and_not_ready_then_both_recover(
    fresh: Deployment, session: aiohttp.ClientSession
) -> None:
    assert await chat(session, fresh.balancer) == 200

    async def all_ready(status: int) -> bool:
        return all([await ready(session, g) == status for g in fresh.gateways])

    async def all_chat(status: int) -> bool:
        return all([await chat(session, g) == status for g in fresh.gateways])

    fresh.redis.stop()
    try:
        down = [await chat(session, g) for g in fresh.gateways]
        # The probe pings Redis every third of a second here.
        await poll(lambda: all_ready(503), 10, 0.1)
    finally:
        fresh.redis.start()
    # The documented policy of the upstream quota: refuse while Redis is down.
    assert down == [503, 503]
    await poll(lambda: all_chat(200), 15, 0.2)
    await poll(lambda: all_ready(200), 15, 0.1)


async def test_metrics_of_several_workers_add_up_in_one_scrape(
    deployment: Deployment, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    argv = [console_script(), "serve", "--port", str(port), "--workers", "2",
            "--base-url", deployment.emulator_url, "--no-ui"]  # fmt: skip
    log = tmp_path / "workers.log"
    process = await asyncio.to_thread(start_logged, argv, log)
    try:
        await asyncio.to_thread(wait_until_answers, f"{root}/health", process, log)
        for _ in range(12):
            async with session.get(f"{root}/v1/models") as answer:
                assert answer.status == 200
        # Whichever worker answers the scrape shows both workers' counts.
        scrapes = [await models_counted(session, root) for _ in range(4)]
    finally:
        process.terminate()
        await asyncio.to_thread(process.wait, 15)
    assert scrapes == [12.0] * 4
    assert "limits are counted by each worker alone" in log.read_text().replace("\n", " ")


def start_logged(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)


async def models_counted(session: aiohttp.ClientSession, root: str) -> float:
    async with session.get(f"{root}/metrics") as answer:
        text = await answer.text()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "aiodynaspark_requests_total" and sample.labels["route"] == "/v1/models"
    )
