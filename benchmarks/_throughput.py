"""Scenarios 1 and 2: chat requests per second, sequential and at concurrency 100.

Every variant's client is opened first, warmed up (its pool open), and then the variants
take turns in slices of the count, in a rotated order, until each has sent its count or
spent its time. Noise on a shared machine then falls on every variant alike: a variant's
ratio is the median over the slices of its rate (wall clock) divided by the floor's rate
in the same slice. The client process's CPU time per request is given too: it is the
library's cost, whatever the other processes do.

So is the garbage collector's time within it, by kind. At concurrency 100 a hundred
requests' objects are alive at once, so collections run (sequentially there are none: a
request's objects are freed before the next is made). A full collection walks the whole
process, every variant's objects and the openai SDK's modules included, takes tens to
hundreds of milliseconds, and falls on whichever variant is running when the collector's
count trips: one adds 30 to 120 µs to that variant's CPU per request over 2,000 requests.
"""

import asyncio
import gc
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ._clients import ASYNC_VARIANTS, SYNC_VARIANTS, AsyncVariant, SyncVariant
from ._common import Deadline, median

__all__ = ["Load", "run_throughput"]


@dataclass(frozen=True)
class Load:
    """``count`` requests per variant at ``concurrency``, within ``seconds`` per variant."""

    count: int
    concurrency: int
    seconds: float
    warmup: int
    slices: int


@dataclass
class _Tally:
    done: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    ratios: list[float] = field(default_factory=list)
    young_gc: float = 0.0
    full_gc: float = 0.0
    full_collections: int = 0


class _GcClock:
    """The collector's seconds and full collections while ``on``: a ``gc.callbacks`` entry."""

    def __init__(self) -> None:
        self.on = False
        self.started = 0.0
        self.young = 0.0
        self.full = 0.0
        self.full_count = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if not self.on:
            return
        if phase == "start":
            self.started = time.perf_counter()
        elif info["generation"] == 2:
            self.full += time.perf_counter() - self.started
            self.full_count += 1
        else:
            self.young += time.perf_counter() - self.started


_GC_CLOCK = _GcClock()


async def _spread_async(
    variant: AsyncVariant, count: int, concurrency: int, deadline: Deadline
) -> int:
    issued = 0

    async def worker() -> None:
        nonlocal issued
        while issued < count and not deadline.passed:
            issued += 1
            await variant.send()

    await asyncio.gather(*(worker() for _ in range(min(concurrency, count))))
    return issued


def _spread_threads(
    variant: SyncVariant, count: int, pool: ThreadPoolExecutor | None, deadline: Deadline
) -> int:
    issued = 0
    lock = threading.Lock()

    def worker() -> None:
        nonlocal issued
        while not deadline.passed:
            with lock:
                if issued >= count:
                    return
                issued += 1
            variant.send()

    if pool is None:
        worker()
    else:
        for future in [pool.submit(worker) for _ in range(pool._max_workers)]:
            future.result()
    return issued


class _Runner:
    """One variant, opened once, run slice by slice on its own loop, idle in between.

    A loop per variant: what one client leaves in a loop (cancelled timers in its heap,
    callbacks) must not slow the next.
    """

    def __init__(
        self,
        kind: type[AsyncVariant] | type[SyncVariant],
        url: str,
        openai_url: str,
        concurrency: int,
    ) -> None:
        self.kind = kind
        self.variant = kind(url, openai_url)
        self.loop = asyncio.new_event_loop()
        self.concurrency = concurrency
        sync = isinstance(self.variant, SyncVariant)
        self.pool = ThreadPoolExecutor(concurrency) if sync and concurrency > 1 else None

    def open(self) -> None:
        if isinstance(self.variant, AsyncVariant):
            self.loop.run_until_complete(self.variant.open())
        else:
            self.variant.open()

    def run(self, count: int, seconds: float) -> tuple[int, float, float]:
        deadline = Deadline(seconds)
        cpu, wall = time.process_time(), time.perf_counter()
        _GC_CLOCK.on = True
        try:
            if isinstance(self.variant, AsyncVariant):
                done = self.loop.run_until_complete(
                    _spread_async(self.variant, count, self.concurrency, deadline)
                )
            else:
                done = _spread_threads(self.variant, count, self.pool, deadline)
        finally:
            _GC_CLOCK.on = False
        return done, time.perf_counter() - wall, time.process_time() - cpu

    def close(self) -> None:
        if isinstance(self.variant, AsyncVariant):
            self.loop.run_until_complete(self.variant.close())
        else:
            self.variant.close()
        if self.pool is not None:
            self.pool.shutdown()
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()


def run_throughput(url: str, openai_url: str, load: Load, progress: Any = print) -> dict[str, Any]:
    """Run every variant for ``load`` and compare each with the floor.

    Returns:
        Per variant: its label, requests sent, requests per second, wall and client-CPU
        microseconds per request, and the ratio of its rate to the floor's.
    """
    kinds: list[type[AsyncVariant] | type[SyncVariant]] = [*ASYNC_VARIANTS, *SYNC_VARIANTS]
    runners = [_Runner(kind, url, openai_url, load.concurrency) for kind in kinds]
    tallies = {runner.kind.name: _Tally() for runner in runners}
    gc.callbacks.append(_GC_CLOCK)
    try:
        for runner in runners:
            runner.open()
            runner.run(load.warmup, load.seconds / load.slices)
        share = -(-load.count // load.slices)
        for index in range(load.slices):
            shift = index % len(runners)
            rates: dict[str, float] = {}
            for runner in runners[shift:] + runners[:shift]:
                tally = tallies[runner.kind.name]
                left = min(share, load.count - tally.done)
                if left <= 0:
                    continue
                young, full, full_count = _GC_CLOCK.young, _GC_CLOCK.full, _GC_CLOCK.full_count
                done, wall, cpu = runner.run(left, load.seconds / load.slices)
                tally.done += done
                tally.wall += wall
                tally.cpu += cpu
                tally.young_gc += _GC_CLOCK.young - young
                tally.full_gc += _GC_CLOCK.full - full
                tally.full_collections += _GC_CLOCK.full_count - full_count
                rates[runner.kind.name] = done / wall
            if "floor" in rates:
                for name, rate in rates.items():
                    tallies[name].ratios.append(rate / rates["floor"])
        progress(
            "    " + ", ".join(f"{name} {t.done / t.wall:.0f}/s" for name, t in tallies.items())
        )
    finally:
        gc.callbacks.remove(_GC_CLOCK)
        for runner in runners:
            runner.close()
    floor = tallies["floor"]
    floor_rate = floor.done / floor.wall
    results: dict[str, Any] = {}
    for runner in runners:
        tally = tallies[runner.kind.name]
        rate = tally.done / tally.wall
        results[runner.kind.name] = {
            "label": runner.kind.label,
            "requests": tally.done,
            "seconds": round(tally.wall, 3),
            "requests_per_second": round(rate, 1),
            "wall_us_per_request": round(1e6 / rate, 1),
            "cpu_us_per_request": round(1e6 * tally.cpu / tally.done, 1),
            "added_cpu_us_per_request": round(
                1e6 * (tally.cpu / tally.done - floor.cpu / floor.done), 1
            ),
            # Within the CPU: the collector's young (generations 0 and 1) and full collections.
            "young_gc_us_per_request": round(1e6 * tally.young_gc / tally.done, 1),
            "full_gc_us_per_request": round(1e6 * tally.full_gc / tally.done, 1),
            "full_collections": tally.full_collections,
            # The headline: the median over the slices of the rate divided by the floor's
            # rate in the same slice; one slice hit by noise cannot move it.
            "ratio_to_floor": round(median(tally.ratios), 3),
            "pooled_ratio_to_floor": round(rate / floor_rate, 3),
            "slice_ratios": [round(r, 3) for r in tally.ratios],
        }
    return results


def floor_rate(url: str, count: int, concurrency: int = 100) -> float:
    """Requests per second of the floor alone against ``url``: how fast the server is."""
    from ._clients import Floor

    runner = _Runner(Floor, url, url, concurrency)
    try:
        runner.open()
        runner.run(min(count, 200), 10.0)
        done, wall, _ = runner.run(count, 10.0)
    finally:
        runner.close()
    return done / wall
