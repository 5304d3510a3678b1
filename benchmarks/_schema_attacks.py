"""Attacks by a caller's JSON schema, each with the worst ``/health`` latency meanwhile.

A schema is data: nothing in it may make the gateway fetch, read a file or hold its event
loop. Each attack sends one hostile schema (the emulator scripted to answer so that the
schema is applied) while a poller asks ``/health`` back to back; the outcome line gives the
attacker's status and time and the slowest ``/health`` answer seen during the attack, so a
frozen loop shows as seconds there. Every request is bounded: a gateway that hangs is
reported as such.
"""

import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp

from aiodynaspark.testing import Emulator

__all__ = ["SCHEMA_ATTACKS"]

# The attacker waits this long for its answer; the slow URL stalls longer, so a gateway
# that fetches it is seen frozen for the whole wait.
ATTACKER_WAIT = 30.0
SLOW_URL_STALL = 40.0
# One /health poll: a frozen gateway answers late, not never; past this it is reported.
HEALTH_WAIT = 35.0
ROOT = Path(__file__).resolve().parent.parent
_CHAT = {"model": "gemini-2.0-flash", "messages": [{"role": "user", "content": "hi"}]}


class _SlowServer:
    """Accepts connections on 127.0.0.1, counts them and answers nothing for a long time."""

    def __init__(self) -> None:
        self.connections = 0
        self._server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        with contextlib.suppress(Exception):
            await asyncio.sleep(SLOW_URL_STALL)
        writer.close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/schema.json"

    async def __aenter__(self) -> "_SlowServer":
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()


@contextlib.asynccontextmanager
async def _health_poller(url: str) -> AsyncIterator[Callable[[], Awaitable[list[float]]]]:
    """A ``/health`` poller in a child process; the yielded call stops it and gives the waits.

    In this process the emulator encodes the attack's answer, which would stall a poller here
    and be counted against the gateway.
    """
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks._health_poller",
        url,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    assert child.stdin is not None
    assert child.stdout is not None
    stdin, stdout = child.stdin, child.stdout

    async def stop() -> list[float]:
        stdin.write(b"stop\n")
        await stdin.drain()
        async with asyncio.timeout(HEALTH_WAIT + 5):
            line = await stdout.readline()
        return [float(wait) for wait in json.loads(line)]

    try:
        async with asyncio.timeout(HEALTH_WAIT):
            await stdout.readline()  # "ready": its first round trip is done
        yield stop
    finally:
        if child.returncode is None:
            child.kill()
        await child.wait()


async def _warm_up(session: aiohttp.ClientSession, url: str, emu: Emulator) -> None:
    """One good call of a tool, so the attack does not pay the gateway's first-use costs."""
    emu.push_reply(_call_reply({}))
    path, body = _tool_request({"type": "object"})
    async with asyncio.timeout(ATTACKER_WAIT), session.post(url + path, json=body) as answer:
        await answer.read()
    emu.reset()


async def _attack(
    url: str, emu: Emulator, replies: Sequence[str], request: tuple[str, dict[str, Any]]
) -> tuple[str, str]:
    """Send ``request`` while ``/health`` is polled, the model scripted to answer ``replies``.

    Returns:
        The outcome line and the answer's text.
    """
    path, body = request
    async with aiohttp.ClientSession() as session:
        await _warm_up(session, url, emu)
        emu.push_reply(*replies)
    async with aiohttp.ClientSession() as session, _health_poller(url) as stop_polling:
        started = time.perf_counter()
        text = ""
        try:
            async with (
                asyncio.timeout(ATTACKER_WAIT),
                session.post(url + path, json=body) as answer,
            ):
                text = (await answer.read()).decode(errors="replace")
                status = str(answer.status)
        except TimeoutError:
            status = f"no answer in {ATTACKER_WAIT:.0f} s"
        except aiohttp.ClientError as error:
            status = type(error).__name__
        took = time.perf_counter() - started
        polls = sorted(await stop_polling())
    median = polls[len(polls) // 2] * 1000
    return (
        f"{status} in {took:.2f} s, /health worst {polls[-1] * 1000:.0f} ms "
        f"(median {median:.0f} ms, {len(polls)} polls)",
        text,
    )


def _tool_request(schema: object) -> tuple[str, dict[str, Any]]:
    tool = {"type": "function", "function": {"name": "f", "parameters": schema}}
    return "/v1/chat/completions", {**_CHAT, "tools": [tool], "tool_choice": "required"}


def _format_request(schema: object) -> tuple[str, dict[str, Any]]:
    spec = {"name": "answer", "schema": schema}
    return "/v1/chat/completions", {
        **_CHAT,
        "response_format": {"type": "json_schema", "json_schema": spec},
    }


def _call_reply(arguments: object) -> str:
    return json.dumps({"tool_calls": [{"name": "f", "arguments": arguments}]})


async def plain_tool(url: str, emu: Emulator) -> str:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    outcome, _ = await _attack(url, emu, [_call_reply({"a": "x"})], _tool_request(schema))
    return outcome


async def remote_ref(url: str, emu: Emulator) -> str:
    async with _SlowServer() as slow:
        schema = {"type": "object", "properties": {"a": {"$ref": slow.url}}}
        outcome, _ = await _attack(url, emu, [_call_reply({"a": "x"})] * 2, _tool_request(schema))
        return f"{outcome}, slow URL contacted: {slow.connections > 0}"


async def file_ref(url: str, emu: Emulator) -> str:
    secret = "file-secret-5d1e"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "secret.json"
        path.write_text(json.dumps({"const": secret}))  # a check would quote it
        schema = {"type": "object", "properties": {"a": {"$ref": path.as_uri()}}}
        outcome, text = await _attack(url, emu, [_call_reply({"a": 1})] * 2, _tool_request(schema))
    return f"{outcome}, file text in the answer: {secret in text}"


async def catastrophic_pattern(url: str, emu: Emulator) -> str:
    reply = json.dumps({"a": "a" * 24 + "!"})
    schema = {"type": "object", "properties": {"a": {"type": "string", "pattern": "^(a+)+$"}}}
    outcome, _ = await _attack(url, emu, [reply] * 2, _format_request(schema))
    return outcome


async def mixed_enum(url: str, emu: Emulator) -> str:
    items: list[object] = [str(i) if i % 2 else i for i in range(7999)]
    items.append({"n": 1})
    schema = {"$schema": "http://json-schema.org/draft-04/schema#", "enum": items}
    outcome, _ = await _attack(url, emu, ['{"n": 1}'], _format_request(schema))
    return outcome


async def ref_fan_out(url: str, emu: Emulator) -> str:
    defs: dict[str, object] = {
        f"d{i}": {"anyOf": [{"$ref": f"#/$defs/d{i + 1}"}, {"$ref": f"#/$defs/d{i + 1}"}]}
        for i in range(20)
    }
    defs["d20"] = {"type": "integer"}
    request = _tool_request({"$defs": defs, "$ref": "#/$defs/d0"})
    outcome, _ = await _attack(url, emu, [_call_reply({})] * 2, request)
    return outcome


async def deep_schema(url: str, emu: Emulator) -> str:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(200):
        schema = {"type": "array", "items": schema}
    outcome, _ = await _attack(url, emu, [_call_reply([])] * 2, _tool_request(schema))
    return outcome


async def deep_answer(url: str, emu: Emulator) -> str:
    reply = '{"a": ' + "[" * 1000 + "]" * 1000 + "}"
    outcome, _ = await _attack(url, emu, [reply] * 2, _format_request({"type": "object"}))
    return outcome


async def long_answer(url: str, emu: Emulator) -> str:
    reply = json.dumps({"a": [{"b": "x" * 10, "c": [1, 2.5, None]} for _ in range(200_000)]})
    schema = {"type": "object", "properties": {"a": {"items": {"required": ["b"]}}}}
    outcome, _ = await _attack(url, emu, [reply] * 2, _format_request(schema))
    return f"{outcome}, answer {len(reply) / 2**20:.1f} MiB"


SCHEMA_ATTACKS: dict[str, tuple[Callable[[str, Emulator], Awaitable[str]], float]] = {
    "schema: a plain tool (the control)": (plain_tool, 90.0),
    "schema: $ref to a slow loopback URL": (remote_ref, 90.0),
    "schema: $ref to a file": (file_ref, 90.0),
    "schema: pattern ^(a+)+$ on 24 a's and !": (catastrophic_pattern, 90.0),
    "schema: draft-04 enum, 8,000 mixed items": (mixed_enum, 90.0),
    "schema: $ref fan-out of 2**20": (ref_fan_out, 90.0),
    "schema: nested 200 levels": (deep_schema, 90.0),
    "answer: nested 1,000 levels": (deep_answer, 90.0),
    "answer: 8 MiB object against a schema": (long_answer, 90.0),
}
