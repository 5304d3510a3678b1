"""Instructions per chat, counted under valgrind: a figure the machine's load does not move.

``python -m benchmarks.instructions [--layers floor,client_full] [--concurrency 100]``
runs each layer of :mod:`benchmarks._layers` under ``valgrind --tool=callgrind`` twice, for
300 and 1,300 requests against the minimal upstream, and prints the difference over 1,000:
the user-space instructions of one request, with start-up and warm-up cancelled out.
Neither system calls nor the time spent waiting for a CPU are counted, so two versions can
be told apart on a loaded machine, where the timed scenarios swing by ±0.15 × the floor.
What it cannot see is the cost of a cache miss: read it beside the timed scenarios.

Needs valgrind (``apt-get install valgrind``); each layer takes one to three minutes.
"""

import argparse
import asyncio
import os
import re
import shutil
import subprocess

from ._common import PYTHON, ROOT, start_child
from ._layers import LAYERS

__all__ = ["main"]

_COUNTS = (300, 1300)
_WARMUP = 200
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")
_BY_NAME = {layer.name: layer for layer in LAYERS}


async def _send(name: str, url: str, count: int, concurrency: int) -> None:
    layer = _BY_NAME[name](url, url)
    await layer.open()
    left = _WARMUP + count

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await layer.send()

    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        await layer.close()


def _instructions(name: str, url: str, count: int, concurrency: int) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        PYTHON,
        "-m",
        "benchmarks.instructions",
        f"--run={name}",
        f"--count={count}",
        f"--concurrency={concurrency}",
        f"--url={url}",
    ]
    # A fixed hash seed: the dicts' layouts, so their probe counts, are the same every run.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=1800, check=True
    )
    match = _REFS.search(done.stderr)
    if match is None:
        raise RuntimeError(f"valgrind printed no instruction count:\n{done.stderr[-2000:]}")
    return int(match.group(1).replace(",", ""))


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instructions")
    parser.add_argument("--layers", default="floor,client_full", help=", ".join(_BY_NAME))
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:  # one counted run, started by the loop below under valgrind
        asyncio.run(_send(args.run, args.url, args.count, args.concurrency))
        return 0
    layers = [name.strip() for name in args.layers.split(",") if name.strip()]
    unknown = set(layers) - _BY_NAME.keys()
    if unknown:
        known = ", ".join(_BY_NAME)
        parser.error(f"unknown layer(s) {', '.join(sorted(unknown))}; the layers: {known}")
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (apt-get install valgrind)")
    low, high = _COUNTS
    print(f"instructions per request, concurrency {args.concurrency}")
    with start_child(["-m", "benchmarks._upstream", "minimal", "--delay", "0"]) as upstream:
        url = upstream.ready["urls"][0]
        for name in layers:
            fewer = _instructions(name, url, low, args.concurrency)
            more = _instructions(name, url, high, args.concurrency)
            print(f"{name:14s} {(more - fewer) // (high - low):>10,d}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
