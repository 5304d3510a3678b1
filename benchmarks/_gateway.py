"""Scenario 4: the gateway against the same upstream hit directly (the floor).

The gateway runs as users run it, ``aiodynaspark serve --port P --base-url URL`` (one
worker, its access log on), in its own process; the load comes from ``_loadgen`` in
another. Its CPU time is read from ``/proc/PID/stat`` around each load, its memory from
``/proc/PID/status``.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from typing import Any

from ._common import PYTHON, ROOT, cpu_seconds, rss_kib

__all__ = ["Gateway", "run_gateway_load"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Gateway:
    """``aiodynaspark serve`` in a child process, ready when ``/health`` answers."""

    def __init__(self, base_url: str, options: Sequence[str] = ()) -> None:
        script = os.path.join(os.path.dirname(PYTHON), "aiodynaspark")
        command = [script] if os.path.exists(script) else [PYTHON, "-m", "aiodynaspark.cli"]
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), ROOT])),
        }
        self.process = subprocess.Popen(
            [*command, "serve", "--port", str(self.port), "--base-url", base_url, *options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self.started = time.perf_counter()

    def wait_ready(self, timeout: float = 30.0) -> float:
        """Wait for ``/health``; returns the seconds from start to ready."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the gateway exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as answer:
                    if answer.status == 200:
                        return time.perf_counter() - self.started
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("the gateway did not answer /health in time")

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def loadgen(config: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run the load generator once and return its figures."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), ROOT])),
    }
    done = subprocess.run(
        [PYTHON, "-m", "benchmarks._loadgen", json.dumps(config)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def run_gateway_load(
    upstream: str,
    gateway: Gateway,
    *,
    low_seconds: float,
    low_requests: int,
    load_seconds: float,
    floor_seconds: float,
    connections: int,
    progress: Any = print,
    modes: Sequence[str] = ("plain", "stream"),
) -> dict[str, Any]:
    """Measure the gateway: added latency at low load, throughput and CPU under load.

    Returns:
        Figures for ``plain`` and ``stream`` chat, and the gateway's memory.
    """
    results: dict[str, Any] = {"rss_after_start_mib": round(rss_kib(gateway.pid) / 1024, 1)}
    for mode in modes:
        up, gw = f"upstream_{mode}", f"gateway_{mode}"
        low = loadgen(
            {
                "targets": [
                    {"name": "floor", "kind": up, "url": upstream},
                    {"name": "gateway", "kind": gw, "url": gateway.url},
                ],
                "connections": 1,
                "seconds": low_seconds,
                "max_requests": low_requests,
                "alternate": True,
            },
            timeout=low_seconds + 60,
        )
        floor_load = loadgen(
            {
                "targets": [{"name": "floor", "kind": up, "url": upstream}],
                "connections": connections,
                "seconds": floor_seconds,
                "max_requests": 10**9,
            },
            timeout=floor_seconds + 60,
        )["floor"]
        cpu_before = cpu_seconds(gateway.pid)
        gateway_load = loadgen(
            {
                "targets": [{"name": "gateway", "kind": gw, "url": gateway.url}],
                "connections": connections,
                "seconds": load_seconds,
                "max_requests": 10**9,
            },
            timeout=load_seconds + 60,
        )["gateway"]
        cpu = cpu_seconds(gateway.pid) - cpu_before
        # The warm-up and check requests of the load generator ran on the gateway too.
        served = gateway_load["requests"] + min(connections, 20) + 1
        results[mode] = {
            "low_load": {
                "floor_p50_ms": low["floor"]["p50_ms"],
                "gateway_p50_ms": low["gateway"]["p50_ms"],
                "added_p50_ms": round(low["gateway"]["p50_ms"] - low["floor"]["p50_ms"], 3),
                "floor_p99_ms": low["floor"]["p99_ms"],
                "gateway_p99_ms": low["gateway"]["p99_ms"],
                "pairs": low["gateway"]["requests"],
            },
            "under_load": {
                "connections": connections,
                "floor": floor_load,
                "gateway": gateway_load,
                "ratio_to_floor": round(
                    gateway_load["requests_per_second"] / floor_load["requests_per_second"], 3
                ),
                "gateway_cpu_ms_per_request": round(1000 * cpu / served, 3),
                "gateway_cpu_share_of_one_core": round(cpu / gateway_load["seconds"], 2),
            },
        }
        # Each load's own high-water mark: the plain load runs first, so the figure after
        # the stream load shows what streams add on top.
        results[mode]["rss_after_mib"] = round(rss_kib(gateway.pid) / 1024, 1)
        progress(
            f"    {mode}: +{results[mode]['low_load']['added_p50_ms']} ms p50 at low load, "
            f"{gateway_load['requests_per_second']:.0f}/s vs floor "
            f"{floor_load['requests_per_second']:.0f}/s, "
            f"{results[mode]['under_load']['gateway_cpu_ms_per_request']} ms CPU/request"
        )
    results["rss_after_load_mib"] = round(rss_kib(gateway.pid) / 1024, 1)
    results["rss_peak_mib"] = round(rss_kib(gateway.pid, "VmHWM") / 1024, 1)
    results["python"] = sys.version.split()[0]
    return results
