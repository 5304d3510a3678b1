"""The upstream quota at the gateway: 429 at once without calling the host, the host's word,
the limits shared through Redis, and Redis failures answered by each limit's policy."""

import asyncio

from aiodynaspark.testing import Emulator, Fault
from support.gateway import GatewayFactory, assert_openai_error, fetch
from support.redis_server import RedisServer

HI = {"model": "gemini-2.0-flash", "messages": [{"role": "user", "content": "Hi"}]}


async def chat(root: str) -> int:
    return (await fetch("POST", f"{root}/v1/chat/completions", json=HI)).status


async def test_over_the_upstream_quota_is_429_at_once_and_the_host_is_not_called(
    start_gateway: GatewayFactory, emu: Emulator
) -> None:
    async with start_gateway(upstream_rate_limit="2/hour") as root:
        statuses = [await chat(root) for _ in range(2)]
        refused = await fetch("POST", f"{root}/v1/chat/completions", json=HI)
        models = await fetch("GET", f"{root}/v1/models")
    assert statuses == [200, 200]
    error = assert_openai_error(refused, 429)
    assert "2/hour" in error["message"]
    assert 3590 <= int(refused.headers["retry-after"]) <= 3600
    assert len(emu.requests) == 2
    assert models.status == 200  # reading the model list spends no quota


async def test_the_hosts_rate_limit_headers_tighten_the_quota(
    start_gateway: GatewayFactory,
) -> None:
    async with Emulator(rate_limit=2, rate_window=60) as host:
        async with start_gateway(base_url=host.url, upstream_rate_limit="100/hour") as root:
            statuses = [await chat(root) for _ in range(3)]
            refused = await fetch("POST", f"{root}/v1/chat/completions", json=HI)
        # The second answer said 0 left: the third request never reaches the host.
        assert statuses == [200, 200, 429]
        assert len(host.requests) == 2
    error = assert_openai_error(refused, 429)
    assert "Dynaspark says" in error["message"]
    assert 1 <= int(refused.headers["retry-after"]) <= 61  # the reset is whole seconds


async def test_the_hosts_word_holds_calls_even_without_a_configured_quota(
    start_gateway: GatewayFactory, emu: Emulator
) -> None:
    emu.push(Fault.rate_limited(retry_after=None, reset_in=30))
    async with start_gateway() as root:
        assert await chat(root) == 429
        assert await chat(root) == 429
    assert len(emu.requests) == 1


async def test_two_gateways_sharing_redis_share_one_quota(
    start_gateway: GatewayFactory, emu: Emulator, redis_url: str
) -> None:
    options = {"redis_url": redis_url, "upstream_rate_limit": "5/minute"}
    async with start_gateway(**options) as one, start_gateway(**options) as two:
        async with asyncio.timeout(20):
            statuses = await asyncio.gather(*(chat(root) for root in (one, two) * 6))
    assert sorted(statuses) == [200] * 5 + [429] * 7
    assert len(emu.requests) == 5


async def test_redis_down_refuses_the_upstream_quota_with_503_then_recovers(
    start_gateway: GatewayFactory, redis_server: RedisServer, redis_url: str
) -> None:
    async with start_gateway(redis_url=redis_url, upstream_rate_limit="5/minute") as root:
        assert await chat(root) == 200
        redis_server.stop()
        try:
            down = await fetch("POST", f"{root}/v1/chat/completions", json=HI)
        finally:
            redis_server.start()
        await asyncio.sleep(1.1)
        back = await chat(root)
    error = assert_openai_error(down, 503)
    assert error["code"] == "limits_unavailable"
    assert down.headers["retry-after"] == "1"
    assert back == 200


async def test_redis_down_counts_locally_when_the_policy_says_so(
    start_gateway: GatewayFactory, redis_server: RedisServer, redis_url: str
) -> None:
    async with start_gateway(
        redis_url=redis_url,
        upstream_rate_limit="2/minute",
        upstream_limit_on_redis_failure="local",
    ) as root:
        redis_server.stop()
        try:
            statuses = [await chat(root) for _ in range(3)]
        finally:
            redis_server.start()
    assert statuses == [200, 200, 429]


async def test_a_response_made_on_one_gateway_continues_on_another_through_redis(
    start_gateway: GatewayFactory, redis_url: str
) -> None:
    async with start_gateway(redis_url=redis_url) as one, start_gateway(redis_url=redis_url) as two:
        first = await fetch(
            "POST", f"{one}/v1/responses", json={"model": "gemini-2.0-flash", "input": "Hi"}
        )
        response_id = first.json()["id"]
        follow_up = {"model": "gemini-2.0-flash", "input": "More"}
        follow = await fetch(
            "POST",
            f"{two}/v1/responses",
            json={**follow_up, "previous_response_id": response_id},
        )
        stored = await fetch("GET", f"{two}/v1/responses/{response_id}")
    assert first.status == 200
    assert follow.status == 200, follow.body
    assert stored.json()["id"] == response_id


async def test_reading_a_stored_response_while_redis_is_down_is_503(
    start_gateway: GatewayFactory, redis_server: RedisServer, redis_url: str
) -> None:
    async with start_gateway(redis_url=redis_url) as root:
        redis_server.stop()
        try:
            answer = await fetch("GET", f"{root}/v1/responses/resp_123")
        finally:
            redis_server.start()
    assert assert_openai_error(answer, 503)["code"] == "store_unavailable"
