"""Scenario gateway_apis: the Responses and Messages routes against Chat Completions.

The same question goes through each of the gateway's three APIs, whole and streamed, and the
gateway's CPU time per request is read from ``/proc/PID/stat`` around each load. The
figure that matters is the difference to Chat Completions for the same answer: what the
translation, the store write and the other event stream cost. Loads alternate between the
APIs over several rounds and the least figure of each is kept, which takes the noise of a
shared machine out better than one long run.
"""

from typing import Any

from ._common import cpu_seconds
from ._gateway import Gateway, loadgen

__all__ = ["run_api_overhead"]

# Chat Completions first in each group: the baseline the others are compared with.
_GROUPS = {
    "plain": ("gateway_plain", "gateway_responses", "gateway_messages"),
    "stream": ("gateway_stream", "gateway_responses_stream", "gateway_messages_stream"),
}


def _cpu_ms_per_request(gateway: Gateway, kind: str, connections: int, seconds: float) -> float:
    before = cpu_seconds(gateway.pid)
    figures = loadgen(
        {
            "targets": [{"name": kind, "kind": kind, "url": gateway.url}],
            "connections": connections,
            "seconds": seconds,
            "max_requests": 10**9,
        },
        timeout=seconds + 60,
    )[kind]
    cpu = cpu_seconds(gateway.pid) - before
    # The load generator's check and warm-up requests ran on the gateway too.
    served = figures["requests"] + min(connections, 20) + 1
    return float(1000 * cpu / served)


def run_api_overhead(
    gateway: Gateway,
    *,
    connections: int,
    seconds: float,
    rounds: int,
    streams: bool = True,
    progress: Any = print,
) -> dict[str, Any]:
    """Gateway CPU per request for each API, and what each adds over Chat Completions.

    Args:
        gateway: The gateway, in front of an unpaced upstream.
        connections: Concurrent requests of each load.
        seconds: Length of each load.
        rounds: Loads of each kind; the least figure is kept.
        streams: Measure the streamed requests too (the quick run leaves them out).
        progress: Called with a line per group.

    Returns:
        Per group (``plain``, ``stream``): the least ms per request of each kind over the
        rounds, and ``added_ms`` per kind over the group's Chat Completions figure.
    """
    results: dict[str, Any] = {"rounds": rounds, "connections": connections}
    for group, kinds in _GROUPS.items():
        if group == "stream" and not streams:
            continue
        best = {kind: float("inf") for kind in kinds}
        for _ in range(rounds):
            for kind in kinds:
                figure = _cpu_ms_per_request(gateway, kind, connections, seconds)
                best[kind] = min(best[kind], figure)
        baseline = best[kinds[0]]
        results[group] = {
            "cpu_ms_per_request": {kind: round(value, 3) for kind, value in best.items()},
            "added_ms": {kind: round(best[kind] - baseline, 3) for kind in kinds[1:]},
        }
        added = ", ".join(
            f"{kind} +{value:.3f}" for kind, value in results[group]["added_ms"].items()
        )
        progress(f"    {group}: chat {baseline:.3f} ms CPU/request; {added}")
    return results
