"""Run the benchmarks: ``python -m benchmarks`` (about two minutes) or ``--quick``.

Prints the tables and writes every figure and ratio to ``benchmarks/results/latest.json``.
See ``docs/performance.md`` for what each figure means.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from ._apis import run_api_overhead
from ._common import PIECES, ROOT, Child, start_child
from ._gateway import Gateway, run_gateway_load
from ._memory import run_memory
from ._redis import LocalRedis
from ._report import check_targets, render
from ._startup import run_startup
from ._streaming import run_streaming
from ._throughput import Load, floor_rate, run_throughput

SCENARIOS = (
    "sequential",
    "concurrent",
    "streaming",
    "gateway",
    "gateway_apis",
    "gateway_redis",
    "startup",
    "memory",
)
# The gateway_redis scenario: limits in a local Redis (a quota too large to refuse anything,
# so every request takes the Redis round trip and goes upstream), metrics on.
_REDIS_GATEWAY = ("--upstream-rate-limit", "1000000/second")


@dataclass(frozen=True)
class Plan:
    """How much each scenario does; the quick plan only proves that everything runs."""

    calibrate: int
    sequential: Load
    concurrent: Load
    stream_delay: float
    stream_repeats: int
    low_seconds: float
    low_requests: int
    floor_seconds: float
    load_seconds: float
    connections: int
    startup_runs: int
    gateway_warmup: int
    api_rounds: int


FULL = Plan(
    calibrate=1500,
    sequential=Load(count=2000, concurrency=1, seconds=5.0, warmup=100, slices=4),
    concurrent=Load(count=2000, concurrency=100, seconds=5.0, warmup=300, slices=4),
    stream_delay=0.02,
    stream_repeats=8,
    low_seconds=3.0,
    low_requests=1500,
    floor_seconds=3.0,
    load_seconds=10.0,
    connections=50,
    startup_runs=10,
    gateway_warmup=100,
    api_rounds=3,
)
QUICK = Plan(
    calibrate=0,
    sequential=Load(count=60, concurrency=1, seconds=0.6, warmup=5, slices=2),
    concurrent=Load(count=200, concurrency=100, seconds=1.0, warmup=100, slices=1),
    stream_delay=0.002,
    stream_repeats=1,
    low_seconds=0.3,
    low_requests=100,
    floor_seconds=0.3,
    load_seconds=0.5,
    connections=10,
    startup_runs=1,
    gateway_warmup=5,
    api_rounds=1,
)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "src"], capture_output=True, text=True, cwd=ROOT
    )
    return (
        done.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
        if done.returncode == 0
        else None
    )


def _library() -> str:
    import aiodynaspark

    return os.path.dirname(os.path.abspath(aiodynaspark.__file__))


def _upstreams(plan: Plan, delays: list[str]) -> tuple[Child, Child | None, dict[str, Any]]:
    """Start the minimal server and the emulator; keep the faster (the minimal one if quick)."""
    minimal = start_child(["-m", "benchmarks._upstream", "minimal", *delays])
    if not plan.calibrate:
        return minimal, None, {"chosen": "minimal", "calibrated": False}
    emulator = start_child(["-m", "benchmarks._upstream", "emulator", *delays])
    rates = {
        "minimal": floor_rate(minimal.ready["urls"][0], plan.calibrate),
        "emulator": floor_rate(emulator.ready["urls"][0], plan.calibrate),
    }
    chosen = max(rates, key=lambda name: rates[name])
    info = {
        "chosen": chosen,
        "calibrated": True,
        "floor_requests_per_second_at_concurrency_100": {k: round(v) for k, v in rates.items()},
    }
    if chosen == "minimal":
        emulator.stop()
        return minimal, None, info
    # The openai SDK needs the OpenAI-shaped endpoint, which only the minimal server has.
    return emulator, minimal, info


def run(plan: Plan, only: set[str], quick: bool) -> dict[str, Any]:
    results: dict[str, Any] = {
        "meta": {
            "quick": quick,
            "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "commit": _commit(),
            "load_before": _load(),
            "library": _library(),
        }
    }
    started = time.perf_counter()
    delays = ["--delay", "0", "--delay", str(plan.stream_delay)]
    _say("starting the upstream servers" + (" and choosing the faster" if plan.calibrate else ""))
    upstream, extra, info = _upstreams(plan, delays)
    results["meta"]["upstream"] = info["chosen"]
    results["upstream"] = info
    url, paced = upstream.ready["urls"]
    openai_url = (extra or upstream).ready["urls"][0]
    gateways: list[Gateway] = []
    try:
        for name, load in (("sequential", plan.sequential), ("concurrent", plan.concurrent)):
            if name in only:
                _say(f"{name}: {load.count} chats per variant, concurrency {load.concurrency}")
                variants = run_throughput(url, openai_url, load, progress=_say)
                results[name] = {
                    "count": load.count,
                    "concurrency": load.concurrency,
                    "variants": variants,
                }
        if only & {"streaming", "gateway", "gateway_apis"}:
            gateways = [Gateway(paced), Gateway(url)]
            ready = [gateway.wait_ready() for gateway in gateways]
            results["meta"]["gateway_start_s"] = round(max(ready), 3)
        if "streaming" in only:
            _say(f"streaming: {plan.stream_repeats} paced streams per variant")
            variants = run_streaming(
                paced, gateways[0].url, plan.stream_repeats, plan.gateway_warmup
            )
            results["streaming"] = {
                "pieces": len(PIECES),
                "delay_s": plan.stream_delay,
                "repeats": plan.stream_repeats,
                "variants": variants,
            }
        if "gateway" in only:
            _say(f"gateway: low load, then {plan.connections} connections")
            results["gateway"] = run_gateway_load(
                url,
                gateways[1],
                low_seconds=plan.low_seconds,
                low_requests=plan.low_requests,
                load_seconds=plan.load_seconds,
                floor_seconds=plan.floor_seconds,
                connections=plan.connections,
                progress=_say,
            )
        if "gateway_apis" in only:
            _say(f"gateway_apis: chat, responses and messages, {plan.connections} connections")
            results["gateway_apis"] = run_api_overhead(
                gateways[1],
                connections=plan.connections,
                seconds=plan.load_seconds / 2,
                rounds=plan.api_rounds,
                streams=not quick,
                progress=_say,
            )
        for gateway in gateways:
            gateway.stop()
        gateways = []
        if "gateway_redis" in only:
            results["gateway_redis"] = _gateway_with_redis(plan, url)
        if "startup" in only:
            _say(f"start-up: {plan.startup_runs} runs of each command")
            results["startup"] = run_startup(plan.startup_runs)
        if "memory" in only:
            _say("memory: a 20 MB image through Dynaspark, in a fresh process")
            results["memory"] = run_memory(url)
    finally:
        for gateway in gateways:
            gateway.stop()
        upstream.stop()
        if extra is not None:
            extra.stop()
    results["meta"]["load_after"] = _load()
    results["meta"]["seconds"] = round(time.perf_counter() - started, 1)
    results["targets"] = check_targets(results)
    return results


def _gateway_with_redis(plan: Plan, url: str) -> dict[str, Any]:
    redis = LocalRedis()
    if not redis.start():
        _say("gateway_redis: skipped, redis-server is not installed")
        return {"skipped": "redis-server is not installed"}
    gateway = Gateway(url, ("--redis-url", redis.url, *_REDIS_GATEWAY))
    try:
        gateway.wait_ready()
        _say(f"gateway_redis: shared limits in Redis, metrics on; {plan.connections} connections")
        return run_gateway_load(
            url,
            gateway,
            low_seconds=plan.low_seconds,
            low_requests=plan.low_requests,
            load_seconds=plan.load_seconds,
            floor_seconds=plan.floor_seconds,
            connections=plan.connections,
            progress=_say,
            modes=("plain",),
        )
    finally:
        gateway.stop()
        redis.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument(
        "--only",
        default=",".join(SCENARIOS),
        help=f"comma-separated scenarios ({', '.join(SCENARIOS)})",
    )
    parser.add_argument(
        "--output",
        default=os.path.join(ROOT, "benchmarks", "results", "latest.json"),
        help="where to write the JSON (default %(default)s)",
    )
    args = parser.parse_args(argv)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = only - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    results = run(QUICK if args.quick else FULL, only, args.quick)
    print(render(results, results["targets"]))
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as file:
        json.dump(results, file, indent=2)
    _say(f"wrote {args.output} ({results['meta']['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
