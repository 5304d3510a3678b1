"""The benchmark suite runs end to end: ``python -m benchmarks --quick`` covers every scenario."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
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


@pytest.mark.timeout(150)
def test_quick_run_writes_every_scenario_and_target(tmp_path: Path) -> None:
    pytest.importorskip("fastapi", reason="the gateway scenario needs the 'server' extra")
    output = tmp_path / "quick.json"
    # Not under coverage: what this proves is that the benchmark runs, and tracing its gateway,
    # load generator and upstream made the run two and a half times slower in CI.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_PROCESS_")}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=140,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(output.read_text())
    assert [name for name in SCENARIOS if name not in results] == []
    floor = results["sequential"]["variants"]["floor"]
    assert floor["ratio_to_floor"] == 1.0 and floor["requests"] > 0
    assert {"provider", "async_client", "client", "original", "openai_sdk"} <= set(
        results["concurrent"]["variants"]
    )
    # The collector's share of each variant's CPU, full collections counted apart.
    variants = results["concurrent"]["variants"].values()
    assert all(v["full_collections"] >= 0 and v["young_gc_us_per_request"] >= 0 for v in variants)
    assert set(results["streaming"]["variants"]) == {"floor", "provider", "async_client", "gateway"}
    assert results["gateway"]["plain"]["under_load"]["gateway"]["failures"] == 0
    assert all(t["measured"] is not None for t in results["targets"])
    assert "Targets" in done.stdout
