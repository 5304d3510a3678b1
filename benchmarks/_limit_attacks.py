"""Attacks on the gateway's limits, each against a gateway started by ``serve``.

``serve`` is what operators run, so uvicorn gets the options it passes (forwarded headers,
the connection cap); each attack starts its own, in a child process running SRC_DIR's code,
with the settings it needs (a keys file, a quota, a text budget), in front of the emulator.
Each outcome names what the attacker got and how many requests reached the host.
"""

import asyncio
import hashlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from aiodynaspark.testing import Emulator

__all__ = ["LIMIT_ATTACKS", "ROUTES_WITHOUT_MODEL", "run_limit_attacks", "uncounted_fields"]

_SERVED = """
import json, sys
from aiodynaspark.server import serve
serve("127.0.0.1", int(sys.argv[2]), base_url=sys.argv[1], max_retries=0, ui=False,
      **json.loads(sys.argv[3]))
"""
_WAIT = aiohttp.ClientTimeout(total=30)
# A whole attack, a few dozen requests: bounded, so a gateway that hangs is reported.
ATTACK_SECONDS = 90.0
_HI = [{"role": "user", "content": "Hi"}]
_CHAT = {"model": "gemini-2.0-flash", "messages": _HI}
# Each route that calls the host, with a body that names no model.
ROUTES_WITHOUT_MODEL: dict[str, tuple[str, dict[str, Any]]] = {
    "chat": ("/v1/chat/completions", {"messages": _HI}),
    "responses": ("/v1/responses", {"input": "Hi"}),
    "messages": ("/v1/messages", {"max_tokens": 16, "messages": _HI}),
    "images": ("/v1/images/generations", {"prompt": "a cat"}),
    "speech": ("/v1/audio/speech", {"input": "Hi"}),
}


def uncounted_fields(text: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """A request per field the text budget once skipped, that field holding ``text``.

    Returns:
        By field: the path and the body.
    """
    use: dict[str, Any] = {"type": "tool_use", "id": "t1", "name": "f", "input": {}}
    result: dict[str, Any] = {"type": "tool_result", "tool_use_id": "t1", "content": "ok"}
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": f'"{text}"'}}
    answered = [{"role": "assistant", "tool_calls": [call]}]
    answered.append({"role": "tool", "tool_call_id": "c1", "content": "ok"})
    called = {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"}
    output = {"type": "function_call_output", "call_id": "c1", "output": text}

    def function(**fields: Any) -> list[dict[str, Any]]:
        return [{"type": "function", "function": {"name": "f", **fields}}]

    def turns(assistant: dict[str, Any], user: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            *_HI,
            {"role": "assistant", "content": [assistant]},
            {"role": "user", "content": [user]},
        ]

    return {
        "chat tool description": (
            "/v1/chat/completions",
            {"messages": _HI, "tools": function(description=text)},
        ),
        "chat tool parameters": (
            "/v1/chat/completions",
            {"messages": _HI, "tools": function(parameters={"type": "object", text: {}})},
        ),
        "chat assistant tool call arguments": (
            "/v1/chat/completions",
            {"messages": [*_HI, *answered]},
        ),
        "responses function_call_output": ("/v1/responses", {"input": [called, output]}),
        "responses tool description": (
            "/v1/responses",
            {"input": "Hi", "tools": [{"type": "function", "name": "f", "description": text}]},
        ),
        "messages system blocks": (
            "/v1/messages",
            {"max_tokens": 16, "messages": _HI, "system": [{"type": "text", "text": text}]},
        ),
        "messages tool_result": (
            "/v1/messages",
            {"max_tokens": 16, "messages": turns(use, {**result, "content": text})},
        ),
        "messages tool_use input": (
            "/v1/messages",
            {"max_tokens": 16, "messages": turns({**use, "input": {"a": text}}, result)},
        ),
    }


class _Served:
    """A gateway run by ``serve`` in a child process; its access log is kept."""

    def __init__(self, src: str, upstream: str, options: dict[str, Any]) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.child = subprocess.Popen(
            [sys.executable, "-c", _SERVED, upstream, str(self.port), json.dumps(options)],
            env={**os.environ, "PYTHONPATH": src},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    async def started(self) -> None:
        async with aiohttp.ClientSession(timeout=_WAIT) as session:
            for _ in range(300):
                try:
                    async with session.get(self.url + "/health") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError("the gateway did not start")

    def stop(self) -> str:
        """Stop the gateway (once); its access log."""
        if self.child.returncode is not None:
            return ""
        self.child.terminate()
        try:
            out, _ = self.child.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.child.kill()
            out, _ = self.child.communicate(timeout=10)
        return out.decode("utf-8", "replace")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _post(url: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession(timeout=_WAIT) as session,
        session.post(url + path, json=body, headers=headers) as response,
    ):
        await response.read()
        return response.status


def _restricted_key(directory: Path) -> tuple[str, dict[str, str]]:
    key = "sk-ads-" + secrets.token_urlsafe(32)
    path = directory / "keys.toml"
    digest = hashlib.sha256(key.encode()).hexdigest()
    path.write_text(f'[keys.attacker]\nsha256 = "{digest}"\nmodels = ["gemini-2.0-flash"]\n')
    path.chmod(0o600)
    return str(path), {"Authorization": f"Bearer {key}"}


async def default_model(served: _Served, emu: Emulator, headers: dict[str, str]) -> str:
    statuses = [
        f"{route} {await _post(served.url, path, body, headers)}"
        for route, (path, body) in ROUTES_WITHOUT_MODEL.items()
    ]
    return f"{', '.join(statuses)}; host calls: {len(emu.requests)}"


async def uncounted_text(served: _Served, emu: Emulator, headers: dict[str, str]) -> str:
    # One character past the default budget of 1,000,000, in one field alone.
    fields = uncounted_fields("x" * 1_000_001)
    passed = [
        name
        for name, (path, body) in fields.items()
        if await _post(served.url, path, body, headers) < 400
    ]
    refused = len(fields) - len(passed)
    return f"{refused} of {len(fields)} refused; host calls: {len(emu.requests)}"


async def missing_route_drain(served: _Served, emu: Emulator, headers: dict[str, str]) -> str:
    missing = {await _post(served.url, "/v1/nothing", _CHAT, headers) for _ in range(50)}
    chat = await _post(served.url, "/v1/chat/completions", _CHAT, headers)
    return f"50 x {sorted(missing)}, then a chat: {chat}"


# Bodies every schema passes and the library refuses (400) after the quota was taken.
_LIBRARY_REFUSED: tuple[tuple[str, dict[str, Any]], ...] = (
    ("/v1/audio/speech", {"input": "Hi", "voice": "nope"}),
    ("/v1/images/generations", {"prompt": "a cat", "size": "10x10"}),
    ("/v1/chat/completions", {**_CHAT, "tool_choice": "required"}),
    ("/v1/responses", {"input": "Hi", "tool_choice": "required"}),
    ("/v1/messages", {"max_tokens": 16, "messages": _HI, "tool_choice": {"type": "any"}}),
)


async def bad_input_drain(served: _Served, emu: Emulator, headers: dict[str, str]) -> str:
    bad = [await _post(served.url, path, body, headers) for path, body in _LIBRARY_REFUSED * 10]
    chats = [await _post(served.url, "/v1/chat/completions", _CHAT, headers) for _ in range(3)]
    return f"50 x {sorted(set(bad))}, then 3 chats: {chats}; host calls: {len(emu.requests)}"


async def bad_input_burst(served: _Served, emu: Emulator, headers: dict[str, str]) -> str:
    # At once: each holds its unit while the library checks it, so some may meet 429 then.
    bad = await asyncio.gather(
        *(_post(served.url, path, body, headers) for path, body in _LIBRARY_REFUSED * 10)
    )
    chats = [await _post(served.url, "/v1/chat/completions", _CHAT, headers) for _ in range(3)]
    counted = {status: bad.count(status) for status in sorted(set(bad))}
    return f"50 at once: {counted}, then 3 chats: {chats}; host calls: {len(emu.requests)}"


async def forged_forwarded_for(served: _Served, emu: Emulator, headers: dict[str, str]) -> str:
    forged = {**headers, "X-Forwarded-For": "203.0.113.9"}
    async with (
        aiohttp.ClientSession(timeout=_WAIT) as session,
        session.get(served.url + "/health", headers=forged) as response,
    ):
        await response.read()
    lines = [line for line in served.stop().splitlines() if '"GET /health"' in line]
    # A line is "date time client \"GET /health\" status ms".
    return f"logged client: {lines[-1].split()[2] if lines else 'nothing logged'}"


# Name: (the attack, the gateway's settings, whether it needs a key restricted to a model).
_Attack = Callable[[_Served, Emulator, dict[str, str]], Awaitable[str]]
LIMIT_ATTACKS: dict[str, tuple[_Attack, dict[str, Any], bool]] = {
    "default model past a key's model list": (default_model, {}, True),
    "1,000,001 chars in each uncounted field": (uncounted_text, {}, False),
    "50 POSTs to a missing route drain quota": (
        missing_route_drain,
        {"upstream_rate_limit": "50/hour"},
        False,
    ),
    "50 library-refused bodies drain a 3/hour quota": (
        bad_input_drain,
        {"upstream_rate_limit": "3/hour"},
        False,
    ),
    "50 library-refused bodies at once, 3/hour": (
        bad_input_burst,
        {"upstream_rate_limit": "3/hour"},
        False,
    ),
    "forged X-Forwarded-For from loopback": (forged_forwarded_for, {}, False),
}


async def run_limit_attacks(src: str, only: str) -> None:
    """Run each limit attack whose name holds ``only``; print a line each, as ``main`` does."""
    for name, (attack, options, keyed) in LIMIT_ATTACKS.items():
        if only not in name:
            continue
        with tempfile.TemporaryDirectory() as directory:
            headers: dict[str, str] = {}
            settings = dict(options)
            if keyed:
                settings["keys_file"], headers = _restricted_key(Path(directory))
            async with Emulator() as emu:
                served = _Served(src, emu.url, settings)
                started = time.perf_counter()
                try:
                    await served.started()
                    started = time.perf_counter()
                    async with asyncio.timeout(ATTACK_SECONDS):
                        outcome = await attack(served, emu, headers)
                except (TimeoutError, aiohttp.ClientError) as exc:
                    outcome = type(exc).__name__
                finally:
                    served.stop()
                elapsed = time.perf_counter() - started
        print(f"{name:45} {elapsed:8.2f} {'-':>9}  {outcome}", flush=True)
