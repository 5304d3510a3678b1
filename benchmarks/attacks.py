"""The hostile-request and hostile-upstream attacks, timed, with the gateway's peak memory.

Run: ``python -m benchmarks.attacks [SRC_DIR [NAME_PART]]``. Each attack (or each whose
name holds NAME_PART) starts a fresh gateway in a child process, its code from ``SRC_DIR``
(default: this checkout's ``src``; an older checkout is measured the same way), in front of
an emulator in this process, all on 127.0.0.1. It prints one line per attack: seconds, what
the attacker saw, and the gateway's peak resident memory (``VmHWM``). Every attack is
bounded in size and time.
"""

import asyncio
import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from aiodynaspark.testing import Emulator, Fault, Quirk

from ._limit_attacks import run_limit_attacks
from ._schema_attacks import SCHEMA_ATTACKS
from ._tenancy_attacks import TENANCY_ATTACKS, GatewayStarter

ROOT = Path(__file__).resolve().parent.parent
ATTACK_TIMEOUT = 40.0
_GATEWAY = """
import sys, uvicorn
from aiodynaspark.server import create_app
app = create_app(base_url=sys.argv[1], timeout=float(sys.argv[3]), max_retries=0)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _start_gateway(
    src: str, upstream: str, upstream_timeout: float, settings: Mapping[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, **(settings or {}), "PYTHONPATH": src}
    child = subprocess.Popen(  # noqa: ASYNC220 - started once, before the attack is timed
        [sys.executable, "-c", _GATEWAY, upstream, str(port), str(upstream_timeout)], env=env
    )
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            try:
                async with session.get(url + "/health") as response:
                    if response.status == 200:
                        return child, url
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    child.kill()
    raise RuntimeError("the gateway did not start")


async def _post(url: str, body: bytes, path: str = "/v1/chat/completions") -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url + path, data=io.BytesIO(body), headers={"content-type": "application/json"}
        ) as response,
    ):
        await response.read()
        return response.status


def _chat(messages: object, **extra: object) -> bytes:
    return json.dumps({"model": "gemini-2.0-flash", "messages": messages, **extra}).encode()


async def tiny_messages(url: str, emu: Emulator) -> str:
    return str(await _post(url, _chat([{"role": "user", "content": "a"}] * 900_000)))


async def invalid_messages(url: str, emu: Emulator) -> str:
    return str(await _post(url, _chat([1] * 1_000_000)))


async def huge_answer(url: str, emu: Emulator) -> str:
    emu.push(Quirk.huge_body(200 * 1024 * 1024))
    return str(await _post(url, _chat([{"role": "user", "content": "hi"}])))


async def unterminated_event(url: str, emu: Emulator) -> str:
    emu.push(Quirk.unterminated_event(300 * 1024 * 1024))
    return str(await _post(url, _chat([{"role": "user", "content": "hi"}], stream=True)))


async def keepalive_only(url: str, emu: Emulator) -> str:
    emu.push(Quirk.keepalive_only(0.5))
    try:
        async with asyncio.timeout(20):
            return str(await _post(url, _chat([{"role": "user", "content": "hi"}], stream=True)))
    except TimeoutError:
        return "no answer in 20 s"


async def callers_leave(url: str, emu: Emulator) -> str:
    emu.push(*[Fault.hang(30)] * 110)
    body = _chat([{"role": "user", "content": "hi"}])

    async def leave() -> None:
        try:
            async with asyncio.timeout(1.0):
                await _post(url, body)
        except TimeoutError:
            pass

    await asyncio.gather(*(leave() for _ in range(110)))
    emu.reset()
    started = time.perf_counter()
    try:
        async with asyncio.timeout(30):
            status = await _post(url, body)
    except TimeoutError:
        return "next caller: no answer in 30 s"
    return f"next caller: {status} after {time.perf_counter() - started:.2f} s"


async def redirect_to_secret(url: str, emu: Emulator) -> str:
    async with Emulator() as secret:
        emu.push(Quirk.image_url(emu.url + "/api/generate_image?user_input=x"))
        emu.push(Quirk.redirect(secret.url + "/status"))
        body = json.dumps({"prompt": "cat", "response_format": "b64_json"}).encode()
        status = await _post(url, body, "/v1/images/generations")
        return f"{status}, secret fetched: {bool(secret.requests)}"


async def head_health(url: str, emu: Emulator) -> str:
    async with aiohttp.ClientSession() as session, session.head(url + "/health") as response:
        return str(response.status)


async def rebinding_host(url: str, emu: Emulator) -> str:
    headers = {"Host": "rebind.example"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(url + "/health", headers=headers) as response,
    ):
        return str(response.status)


ATTACKS: dict[str, tuple[Callable[[str, Emulator], Awaitable[str]], float]] = {
    "900k tiny messages (28 MB body)": (tiny_messages, 90.0),
    "1M invalid messages": (invalid_messages, 90.0),
    "200 MiB upstream answer": (huge_answer, 90.0),
    "300 MiB unterminated event": (unterminated_event, 90.0),
    "keep-alive-only upstream stream": (keepalive_only, 5.0),
    "110 callers leave after 1 s": (callers_leave, 90.0),
    "b64_json URL redirects to a loopback page": (redirect_to_secret, 90.0),
    "HEAD /health": (head_health, 90.0),
    "Host: rebind.example": (rebinding_host, 90.0),
    **SCHEMA_ATTACKS,
}


async def main(src: str, only: str = "") -> None:
    print(f"gateway code: {src}")
    print(f"{'attack':45} {'seconds':>8} {'peak MiB':>9}  outcome")
    for name, (attack, gateway_timeout) in ATTACKS.items():
        if only not in name:
            continue
        async with Emulator(url_limit=None) as emu:
            child, url = await _start_gateway(src, emu.url, gateway_timeout)
            started = time.perf_counter()
            try:
                async with asyncio.timeout(ATTACK_TIMEOUT + 30):
                    outcome = await attack(url, emu)
            except (TimeoutError, aiohttp.ClientError) as exc:
                outcome = f"{type(exc).__name__}"
            elapsed = time.perf_counter() - started
            peak = _peak_rss_mib(child.pid)
            _stop(child)
        print(f"{name:45} {elapsed:8.2f} {peak:9.0f}  {outcome}", flush=True)
    for name, tenancy_attack in TENANCY_ATTACKS.items():
        if only not in name:
            continue
        await _run_tenancy_attack(src, name, tenancy_attack)
    await run_limit_attacks(src, only)


def _stop(child: subprocess.Popen[bytes]) -> None:
    child.terminate()
    try:
        child.wait(10)
    except subprocess.TimeoutExpired:  # a gateway still busy with the attack
        child.kill()
        child.wait(10)


async def _run_tenancy_attack(
    src: str, name: str, attack: Callable[[GatewayStarter, Emulator], Awaitable[str]]
) -> None:
    peaks: list[float] = []
    async with Emulator(url_limit=None) as emu:

        @asynccontextmanager
        async def start(settings: Mapping[str, str]) -> AsyncIterator[str]:
            child, url = await _start_gateway(src, emu.url, 90.0, settings)
            try:
                yield url
            finally:
                peaks.append(_peak_rss_mib(child.pid))
                _stop(child)

        started = time.perf_counter()
        try:
            async with asyncio.timeout(ATTACK_TIMEOUT + 30):
                outcome = await attack(start, emu)
        except (TimeoutError, aiohttp.ClientError) as exc:
            outcome = f"{type(exc).__name__}"
        elapsed = time.perf_counter() - started
    peak = max(peaks, default=float("nan"))
    print(f"{name:45} {elapsed:8.2f} {peak:9.0f}  {outcome}", flush=True)


if __name__ == "__main__":
    asyncio.run(
        main(
            sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "src"),
            sys.argv[2] if len(sys.argv) > 2 else "",
        )
    )
