"""/health/ready: the host's /status probed in the background, Redis when configured."""

import asyncio

from aiodynaspark.testing import Emulator
from support.gateway import GatewayFactory, fetch
from support.ports import free_port
from support.redis_server import RedisServer


async def test_ready_when_the_host_answers_its_status(
    start_gateway: GatewayFactory, emu: Emulator
) -> None:
    async with start_gateway() as root:
        first = await fetch("GET", f"{root}/health/ready")
        for _ in range(5):
            await fetch("GET", f"{root}/health/ready")
    assert first.status == 200
    assert first.json() == {"status": "ready", "upstream": "ok"}
    # Probed in the background: six readiness requests, one probe.
    assert [r.path for r in emu.requests] == ["/status"]


async def test_not_ready_while_the_host_does_not_answer(start_gateway: GatewayFactory) -> None:
    async with start_gateway(base_url=f"http://127.0.0.1:{free_port()}") as root:
        ready = await fetch("GET", f"{root}/health/ready")
        alive = await fetch("GET", f"{root}/health")
    assert ready.status == 503
    assert ready.json() == {"status": "not ready", "upstream": "not answered yet"}
    assert alive.status == 200


async def test_readiness_follows_the_host_within_the_interval(
    start_gateway: GatewayFactory,
) -> None:
    host = Emulator()
    await host.start()
    try:
        async with start_gateway(base_url=host.url, probe_interval=0.6) as root:
            assert (await fetch("GET", f"{root}/health/ready")).status == 200
            await host.close()
            status = 200
            for _ in range(30):
                status = (await fetch("GET", f"{root}/health/ready")).status
                if status == 503:
                    break
                await asyncio.sleep(0.1)
    finally:
        await host.close()
    assert status == 503


async def test_not_ready_while_redis_does_not_answer(
    start_gateway: GatewayFactory, redis_server: RedisServer, redis_url: str
) -> None:
    async with start_gateway(redis_url=redis_url, probe_interval=0.6) as root:
        ready = await fetch("GET", f"{root}/health/ready")
        redis_server.stop()
        try:
            down = None
            for _ in range(30):
                down = await fetch("GET", f"{root}/health/ready")
                if down.status == 503:
                    break
                await asyncio.sleep(0.1)
        finally:
            redis_server.start()
    assert ready.json() == {"status": "ready", "upstream": "ok", "redis": "ok"}
    assert down is not None and down.status == 503
    assert down.json()["redis"] == "not answering"


async def test_head_works_on_health_and_readiness(start_gateway: GatewayFactory) -> None:
    async with start_gateway() as root:
        answers = [await fetch("HEAD", f"{root}{path}") for path in ("/health", "/health/ready")]
    assert [(a.status, a.body) for a in answers] == [(200, b""), (200, b"")]
