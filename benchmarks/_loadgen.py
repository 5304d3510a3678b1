"""A small load generator, run in its own process so its work is not the measured side's.

``python -m benchmarks._loadgen CONFIG_JSON`` prints one JSON object: per target, the
requests completed, failures, requests per second and latency percentiles (milliseconds).

CONFIG: ``targets`` (a list of ``{"name", "kind", "url"}``; kinds ``upstream_plain``,
``upstream_stream``, and a kind of :data:`GATEWAY_REQUESTS`: ``gateway_plain``,
``gateway_stream`` (chat completions), ``gateway_responses[_stream]``,
``gateway_messages[_stream]``), ``connections``, ``seconds``,
``max_requests`` (per target) and ``alternate``: with it, one connection per target and the
targets take turns request by request, so a pair of targets is measured side by side.
"""

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp

from ._clients import BROWSER_HEADERS, hand_built_form
from ._common import MESSAGES, MODEL, PROMPT, WEB_ANSWER, percentile

Send = Callable[[], Awaitable[None]]

# The same question through each API of the gateway: path, body, and what its answer holds.
GATEWAY_REQUESTS: dict[str, tuple[str, dict[str, Any], str]] = {
    "gateway_plain": ("/v1/chat/completions", {"model": MODEL, "messages": MESSAGES}, ""),
    "gateway_stream": (
        "/v1/chat/completions",
        {"model": MODEL, "messages": MESSAGES, "stream": True},
        "data: [DONE]",
    ),
    "gateway_responses": ("/v1/responses", {"model": MODEL, "input": MESSAGES}, WEB_ANSWER),
    "gateway_responses_stream": (
        "/v1/responses",
        {"model": MODEL, "input": MESSAGES, "stream": True},
        "response.completed",
    ),
    "gateway_messages": (
        "/v1/messages",
        {"model": MODEL, "max_tokens": 4096, "messages": MESSAGES},
        WEB_ANSWER,
    ),
    "gateway_messages_stream": (
        "/v1/messages",
        {"model": MODEL, "max_tokens": 4096, "messages": MESSAGES, "stream": True},
        "message_stop",
    ),
}


def _sender(session: aiohttp.ClientSession, kind: str, url: str) -> Send:
    if kind == "upstream_plain":
        body = hand_built_form(PROMPT, MODEL)
        headers = {
            **BROWSER_HEADERS,
            "origin": url,
            "referer": url + "/",
            "content-type": "multipart/form-data; boundary=aiodynasparkbenchmarkboundary",
        }
        target = url + "/generate_response"

        async def upstream_plain() -> None:
            async with session.post(target, data=body, headers=headers) as response:
                await _expect(response)

        return upstream_plain
    if kind == "upstream_stream":
        query = urlencode({"user_input": PROMPT, "model": MODEL, "stream": "true"})
        target = f"{url}/api/generate_response?{query}"

        async def upstream_stream() -> None:
            async with session.get(target) as response:
                await _expect(response)

        return upstream_stream
    path, request, _ = GATEWAY_REQUESTS[kind]
    payload = json.dumps(request).encode()
    json_headers = {"content-type": "application/json"}
    target = url + path

    async def gateway() -> None:
        async with session.post(target, data=payload, headers=json_headers) as response:
            await _expect(response)

    return gateway


async def _expect(response: aiohttp.ClientResponse) -> None:
    body = await response.read()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {body[:200]!r}")


async def _check(session: aiohttp.ClientSession, kind: str, url: str) -> None:
    """One request whose answer is read in full: the target answers what it should."""
    if kind == "upstream_plain":
        return
    if kind in GATEWAY_REQUESTS:
        path, body, expected = GATEWAY_REQUESTS[kind]
        async with session.post(url + path, json=body) as response:
            text = await response.text()
        if kind == "gateway_plain":
            content = json.loads(text)["choices"][0]["message"]["content"]
            if content != WEB_ANSWER:
                raise RuntimeError(f"the gateway answered {content!r}")
        elif expected not in text:
            raise RuntimeError(f"the gateway's {kind} answer lacks {expected!r}: {text[-200:]!r}")


async def _run(config: dict[str, Any]) -> dict[str, Any]:
    targets = config["targets"]
    connections = int(config["connections"])
    deadline = time.perf_counter() + float(config["seconds"])
    limit = int(config["max_requests"])
    results: dict[str, Any] = {}
    latencies: dict[str, list[float]] = {t["name"]: [] for t in targets}
    failures: dict[str, int] = {t["name"]: 0 for t in targets}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        senders = {t["name"]: _sender(session, t["kind"], t["url"]) for t in targets}
        for target in targets:
            await _check(session, target["kind"], target["url"])
            for _ in range(min(connections, 20)):  # warm-up: pool and caches
                await senders[target["name"]]()

        async def timed(name: str) -> None:
            started = time.perf_counter()
            try:
                await senders[name]()
            except Exception:
                failures[name] += 1
                return
            latencies[name].append(time.perf_counter() - started)

        started = time.perf_counter()
        if config.get("alternate"):
            while time.perf_counter() < deadline and len(latencies[targets[0]["name"]]) < limit:
                for target in targets:
                    await timed(target["name"])
            elapsed = {t["name"]: time.perf_counter() - started for t in targets}
        else:
            elapsed = {}
            for target in targets:
                name = target["name"]
                begun = time.perf_counter()
                stop = begun + float(config["seconds"])
                issued = 0

                async def worker(name: str = name, stop: float = stop) -> None:
                    nonlocal issued
                    while issued < limit and time.perf_counter() < stop:
                        issued += 1
                        await timed(name)

                await asyncio.gather(*(worker() for _ in range(connections)))
                elapsed[name] = time.perf_counter() - begun
    for target in targets:
        name = target["name"]
        values = latencies[name]
        results[name] = {
            "requests": len(values),
            "failures": failures[name],
            "seconds": round(elapsed[name], 3),
            "requests_per_second": round(len(values) / elapsed[name], 1),
            "p50_ms": round(percentile(values, 0.50) * 1000, 3),
            "p90_ms": round(percentile(values, 0.90) * 1000, 3),
            "p99_ms": round(percentile(values, 0.99) * 1000, 3),
        }
    return results


def main() -> int:
    config = json.loads(sys.argv[1])
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(_run(config))
    else:
        result = uvloop.run(_run(config))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
