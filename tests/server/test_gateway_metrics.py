"""/metrics: Prometheus text with requests, upstream attempts, times and quota; never a key."""

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from aiodynaspark.server._serve import per_worker_warnings
from aiodynaspark.server._settings import ServeSettings
from aiodynaspark.server.ops._keys import CallerKey, hash_key, new_key, write_keys_file
from aiodynaspark.testing import Emulator, Fault
from support.gateway import GatewayFactory, fetch

HI = {"model": "gemini-2.0-flash", "messages": [{"role": "user", "content": "Hi"}]}


def samples(text: str) -> "Scrape":
    """Every sample of a scrape, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


Scrape = dict[tuple[str, frozenset[tuple[str, str]]], float]


def value(scrape: Scrape, name: str, **labels: str) -> float:
    return scrape.get((name, frozenset(labels.items())), 0.0)


async def test_requests_are_counted_by_route_status_and_key_name_never_the_key(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    key = new_key()
    path = tmp_path / "keys.toml"
    write_keys_file(path, [CallerKey("alice", hash_key(key))])
    auth = {"Authorization": f"Bearer {key}"}
    async with start_gateway(keys_file=str(path)) as root:
        for _ in range(2):
            await fetch("POST", f"{root}/v1/chat/completions", json=HI, headers=auth)
        await fetch("GET", f"{root}/v1/models/gemini-2.0-flash", headers=auth)
        await fetch("GET", f"{root}/v1/models")  # no key: 401
        answer = await fetch("GET", f"{root}/metrics")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert key not in answer.text and hash_key(key) not in answer.text
    scrape = samples(answer.text)
    total = "aiodynaspark_requests_total"
    chat = {"route": "/v1/chat/completions", "status": "200", "key": "alice"}
    assert value(scrape, total, **chat) == 2
    one_model = {"route": "/v1/models/{model}", "status": "200", "key": "alice"}
    assert value(scrape, total, **one_model) == 1
    assert value(scrape, total, route="/v1/models", status="401", key="none") == 1
    assert value(scrape, "aiodynaspark_upstream_attempts_total", outcome="ok") == 2
    chat_route = {"route": "/v1/chat/completions"}
    assert value(scrape, "aiodynaspark_request_duration_seconds_count", **chat_route) == 2
    assert value(scrape, "aiodynaspark_request_ttfb_seconds_count", **chat_route) == 2
    assert value(scrape, "aiodynaspark_requests_in_flight") == 0


async def test_upstream_attempts_are_counted_by_outcome(
    start_gateway: GatewayFactory, emu: Emulator
) -> None:
    emu.push(Fault.status(500), None, Fault.waking(), Fault.waking())
    async with start_gateway(max_retries=1, timeout=5.0) as root:
        ok = await fetch("POST", f"{root}/v1/chat/completions", json=HI)
        failed = await fetch("POST", f"{root}/v1/chat/completions", json=HI)
        scrape = samples((await fetch("GET", f"{root}/metrics")).text)
    assert (ok.status, failed.status) == (200, 503)
    attempts = "aiodynaspark_upstream_attempts_total"
    assert value(scrape, attempts, outcome="retried") == 2
    assert value(scrape, attempts, outcome="ok") == 1
    assert value(scrape, attempts, outcome="waking") == 1


async def test_quota_remaining_is_shown_per_limit(start_gateway: GatewayFactory) -> None:
    async with start_gateway(upstream_rate_limit="5/minute") as root:
        await fetch("POST", f"{root}/v1/chat/completions", json=HI)
        scrape = samples((await fetch("GET", f"{root}/metrics")).text)
    assert value(scrape, "aiodynaspark_quota_remaining", limit="upstream") == 4


async def test_metrics_can_be_turned_off(start_gateway: GatewayFactory) -> None:
    async with start_gateway(metrics=False) as root:
        answer = await fetch("GET", f"{root}/metrics")
    assert answer.status == 404


async def test_head_works_on_metrics(start_gateway: GatewayFactory) -> None:
    async with start_gateway() as root:
        answer = await fetch("HEAD", f"{root}/metrics")
    assert answer.status == 200
    assert answer.body == b""


async def test_a_head_request_is_counted_under_its_route(start_gateway: GatewayFactory) -> None:
    async with start_gateway() as root:
        await fetch("HEAD", f"{root}/v1/models/gemini-2.0-flash")
        scrape = samples((await fetch("GET", f"{root}/metrics")).text)
    one_model = {"route": "/v1/models/{model}", "status": "200", "key": "anonymous"}
    assert value(scrape, "aiodynaspark_requests_total", **one_model) == 1


def test_several_workers_without_redis_warn_that_limits_are_per_worker() -> None:
    [warning] = per_worker_warnings(ServeSettings(workers=3, upstream_rate_limit="100/hour"))
    assert "3 workers and no --redis-url: limits are counted by each worker alone" in warning
    assert per_worker_warnings(ServeSettings(workers=3, redis_url="redis://127.0.0.1:1/0")) == []
    assert per_worker_warnings(ServeSettings(workers=1)) == []
