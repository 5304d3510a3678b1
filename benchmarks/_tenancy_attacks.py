"""The tenancy attacks of ``python -m benchmarks.attacks``: callers reaching each other's
stored responses, flooding the store, predicting ids, and what passes through the store.

Each attack starts the gateways it needs through ``start`` (an async context manager that
runs one gateway process with the given ``AIODYNASPARK_*`` settings and yields its URL), so
the same attack measures any checkout's code. Outcomes are what the attacker saw.
"""

import asyncio
import hashlib
import io
import json
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from aiodynaspark.testing import Emulator

from ._mersenne import predict_next_id

__all__ = ["TENANCY_ATTACKS", "GatewayStarter"]

GatewayStarter = Callable[[Mapping[str, str]], AbstractAsyncContextManager[str]]
TenancyAttack = Callable[[GatewayStarter, Emulator], Awaitable[str]]

_MODEL = "gemini-2.0-flash"
_TIMEOUT = aiohttp.ClientTimeout(total=60)


class _Keys:
    """Two caller keys, alice's and bob's, in a keys file both checkouts read."""

    def __init__(self, directory: Path) -> None:
        self.alice, self.bob = (
            "sk-ads-" + secrets.token_urlsafe(32),
            "sk-ads-" + secrets.token_urlsafe(32),
        )
        self.path = directory / "keys.toml"
        lines = []
        for name, key in (("alice", self.alice), ("bob", self.bob)):
            lines += [f"[keys.{name}]", f'sha256 = "{hashlib.sha256(key.encode()).hexdigest()}"']
        self.path.write_text("\n".join(lines) + "\n")
        self.path.chmod(0o600)  # the gateway refuses a keys file others may read


async def _call(
    method: str, url: str, key: str | None = None, body: object = None
) -> tuple[int, Any, int]:
    """Status, parsed JSON (or None) and size of one answer."""
    headers = {"content-type": "application/json"}
    if key is not None:
        headers["authorization"] = f"Bearer {key}"
    data = io.BytesIO(json.dumps(body).encode()) if body is not None else None
    async with (
        aiohttp.ClientSession(timeout=_TIMEOUT) as session,
        session.request(method, url, data=data, headers=headers) as response,
    ):
        raw = await response.read()
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    return response.status, parsed, len(raw)


async def _create(root: str, key: str | None = None, **fields: object) -> tuple[int, Any, int]:
    return await _call(
        "POST", f"{root}/v1/responses", key, {"model": _MODEL, "input": "Hi", **fields}
    )


async def _bob_reaches(roots: tuple[str, str], keys: _Keys, response_id: str) -> str:
    made_on, tried_on = roots
    url = f"{tried_on}/v1/responses/{response_id}"
    read = (await _call("GET", url, keys.bob))[0]
    continued = (await _create(tried_on, keys.bob, previous_response_id=response_id))[0]
    deleted = (await _call("DELETE", url, keys.bob))[0]
    alice = (await _call("GET", f"{made_on}/v1/responses/{response_id}", keys.alice))[0]
    return f"bob: GET {read}, continue {continued}, DELETE {deleted}; then alice GET {alice}"


@asynccontextmanager
async def _keys_dir() -> AsyncIterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory)


@asynccontextmanager
async def _redis(*options: str) -> AsyncIterator[str]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    with tempfile.TemporaryDirectory() as directory:
        args = [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            directory,
        ]
        child = subprocess.Popen([*args, *options], stdout=subprocess.DEVNULL)  # noqa: ASYNC220
        try:
            from redis.asyncio import Redis

            client = Redis(port=port)
            for _ in range(200):
                try:
                    await client.ping()
                    break
                except OSError:
                    await asyncio.sleep(0.05)
            await client.aclose()
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            child.terminate()
            child.wait(10)


async def cross_key_one_gateway(start: GatewayStarter, emu: Emulator) -> str:
    async with _keys_dir() as directory:
        keys = _Keys(directory)
        async with start({"AIODYNASPARK_KEYS_FILE": str(keys.path)}) as root:
            made = (await _create(root, keys.alice))[1]
            return await _bob_reaches((root, root), keys, made["id"])


async def cross_key_two_gateways(start: GatewayStarter, emu: Emulator) -> str:
    async with _keys_dir() as directory, _redis() as redis_url:
        keys = _Keys(directory)
        settings = {"AIODYNASPARK_KEYS_FILE": str(keys.path), "AIODYNASPARK_REDIS_URL": redis_url}
        async with start(settings) as one, start(settings) as two:
            made = (await _create(one, keys.alice))[1]
            return await _bob_reaches((one, two), keys, made["id"])


async def predict_ids(start: GatewayStarter, emu: Emulator) -> str:
    async with start({}) as root:
        body = {"model": _MODEL, "messages": [{"role": "user", "content": "hi"}]}
        ids = [
            (await _call("POST", f"{root}/v1/chat/completions", body=body))[1]["id"]
            for _ in range(211)
        ]
    predicted = predict_next_id(ids[:-1], "chatcmpl-")
    bits = len(ids[-1].removeprefix("chatcmpl-")) * 4
    return f"{bits}-bit ids; next id predicted from 210: {'yes' if predicted == ids[-1] else 'no'}"


async def evict_another_key(start: GatewayStarter, emu: Emulator) -> str:
    async with _keys_dir() as directory:
        keys = _Keys(directory)
        settings = {
            "AIODYNASPARK_KEYS_FILE": str(keys.path),
            "AIODYNASPARK_RESPONSE_STORE_MAX_BYTES": str(8 * 1024 * 1024),
        }
        async with start(settings) as root:
            kept = (await _create(root, keys.alice))[1]
            for _ in range(14):
                await _create(root, keys.bob, input="x" * 900_000)
            status = (await _call("GET", f"{root}/v1/responses/{kept['id']}", keys.alice))[0]
    return f"8 MiB store, bob stores 14 answers of 900k characters; alice's GET: {status}"


async def redis_full(start: GatewayStarter, emu: Emulator) -> str:
    async with _redis("--maxmemory", "2mb", "--maxmemory-policy", "noeviction") as redis_url:
        from redis.asyncio import Redis
        from redis.exceptions import ResponseError

        async with start({"AIODYNASPARK_REDIS_URL": redis_url}) as root:
            client = Redis.from_url(redis_url)
            for index in range(100):
                try:
                    await client.set(f"filler:{index}", b"x" * 65536)
                except ResponseError:
                    break
            # Held under the limit's noise (see tests/scaleout/test_tenancy.py).
            used = (await client.info("memory"))["used_memory"]
            await client.config_set("maxmemory", used - 65536)
            await client.aclose()
            status, made, _ = await _create(root)
            found = (await _call("GET", f"{root}/v1/responses/{made['id']}"))[0]
            ready = (await _call("GET", f"{root}/health/ready"))[1]
    return f"POST {status} store={made['store']}, GET {found}; ready: {ready}"


async def long_chain(start: GatewayStarter, emu: Emulator) -> str:
    turn = "y" * 5_000
    async with start({}) as root:
        previous, turns, status = None, 0, 200
        while status == 200 and turns < 150:
            turns += 1
            status, made, _ = await _create(root, input=turn, previous_response_id=previous)
            previous = made.get("id") if isinstance(made, dict) else None
    longest = max(
        len(request.form.get("user_input") or request.query.get("user_input", ""))
        for request in emu.requests
    )
    return f"turn {turns}: {status}; longest prompt sent upstream {longest:,} characters"


async def big_metadata(start: GatewayStarter, emu: Emulator) -> str:
    async with start({}) as root:
        status, _, size = await _create(root, metadata={"k": "v" * 10_000_000})
    return f"10 MB metadata value: {status}, answer {size:,} bytes"


async def long_previous_id(start: GatewayStarter, emu: Emulator) -> str:
    async with start({}) as root:
        status, _, size = await _create(root, previous_response_id="resp_" + "x" * 5_000_000)
    return f"5 MB previous_response_id: {status}, answer {size:,} bytes"


TENANCY_ATTACKS: dict[str, TenancyAttack] = {
    "cross-key read, one gateway": cross_key_one_gateway,
    "cross-key read, two gateways + Redis": cross_key_two_gateways,
    "id prediction from 210 chatcmpl ids": predict_ids,
    "eviction by another key's flood": evict_another_key,
    "Redis full (2mb, noeviction)": redis_full,
    "long previous_response_id chain": long_chain,
    "10 MB metadata": big_metadata,
    "5 MB previous_response_id": long_previous_id,
}
