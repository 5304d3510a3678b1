"""A bounded load test: 2,000 chat requests at concurrency 50 through a gateway process.

The emulator fails 5% of upstream requests with 503 and the gateway retries (twice, short
backoff): every answer must be a completion with the expected text or an OpenAI-shaped
error, none may be lost, and the gateway process must not grow by more than 30 MB between
the first 200 requests and the end.
"""

import asyncio
import json
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from aiodynaspark.testing import Emulator, Fault, answer_for

TOTAL = 2_000
WARM_UP = 200
CONCURRENCY = 50
MAX_GROWTH_BYTES = 30 * 1024 * 1024
RUN_TIMEOUT = 90.0
MODEL = "gemini-2.0-flash"
SCRIPT = Path(__file__).parents[1] / "support" / "gateway_process.py"


def rss_bytes(pid: int) -> int:
    """The resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@pytest.fixture
async def gateway_process(tmp_path: Path) -> AsyncIterator[tuple[str, int, Emulator]]:
    async with Emulator() as emu:
        log = (tmp_path / "gateway.log").open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(SCRIPT), emu.url, stdout=asyncio.subprocess.PIPE, stderr=log
        )
        try:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), 30)
            assert line.startswith(b"PORT "), (line, (tmp_path / "gateway.log").read_text())
            yield f"http://127.0.0.1:{int(line.split()[1])}", process.pid, emu
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 15)
                except TimeoutError:
                    process.kill()
                    await process.wait()
            log.close()


def classify(index: int, status: int, body: bytes) -> str:
    """Check one answer; return ``ok`` or the error code, or raise on a bad answer."""
    data = json.loads(body)
    if status == 200:
        content = data["choices"][0]["message"]["content"]
        assert content == answer_for(MODEL, f"request {index}"), content
        return "ok"
    assert status in (502, 503, 504), (status, data)
    error = data["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    return str(error["code"])


async def send_all(root: str, indexes: range, outcomes: Counter[str]) -> None:
    """Send the requests of ``indexes`` with CONCURRENCY at a time."""
    pending = iter(indexes)
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            for index in pending:
                body = {
                    "model": MODEL,
                    "messages": [{"role": "user", "content": f"request {index}"}],
                }
                async with session.post(f"{root}/v1/chat/completions", json=body) as response:
                    outcomes[classify(index, response.status, await response.read())] += 1

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


@pytest.mark.load
async def test_two_thousand_requests_with_upstream_503s(
    gateway_process: tuple[str, int, Emulator],
) -> None:
    root, pid, emu = gateway_process
    emu.fail_randomly(Fault.status(503), rate=0.05, seed=1)
    outcomes: Counter[str] = Counter()
    async with asyncio.timeout(RUN_TIMEOUT):
        await send_all(root, range(WARM_UP), outcomes)
        after_warm_up = rss_bytes(pid)
        await send_all(root, range(WARM_UP, TOTAL), outcomes)
        after_run = rss_bytes(pid)
    print(
        f"\noutcomes {dict(outcomes)}, upstream requests {len(emu.requests)}, rss "
        f"{after_warm_up / 2**20:.1f} -> {after_run / 2**20:.1f} MiB"
    )
    assert sum(outcomes.values()) == TOTAL, outcomes
    # The injected 503s were met and retried: more upstream requests than requests.
    assert len(emu.requests) > TOTAL
    # Three attempts all failing is rare (0.05**3): nearly every request gets its answer.
    assert outcomes["ok"] >= TOTAL * 0.99, outcomes
    growth = after_run - after_warm_up
    assert growth <= MAX_GROWTH_BYTES, f"grew {growth / 2**20:.1f} MiB"
