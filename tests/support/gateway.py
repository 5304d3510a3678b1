"""Helpers of the gateway tests: the gateway under uvicorn, the SDK, raw HTTP requests."""

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import openai
import uvicorn
from fastapi import FastAPI

from aiodynaspark.testing import Emulator

# Every await on the gateway in a test is bounded by these.
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
SDK_TIMEOUT = 15.0


def _server(app: FastAPI, **options: Any) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        **{
            "access_log": False,
            "lifespan": "on",
            "server_header": False,
            **options,
            "host": "127.0.0.1",
            "port": 0,
            "log_config": None,
        },
    )
    return uvicorn.Server(config)


def _root(server: uvicorn.Server) -> str:
    port = server.servers[0].sockets[0].getsockname()[1]
    return f"http://127.0.0.1:{port}"


@asynccontextmanager
async def run_gateway(app: FastAPI, **options: Any) -> AsyncIterator[str]:
    """Serve ``app`` under uvicorn on 127.0.0.1, port 0; yield its root URL.

    ``options`` are more keywords of ``uvicorn.Config``: say, what ``serve`` would pass
    (``uvicorn_options_for``); the address and the logging stay the tests' own.
    """
    server = _server(app, **options)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(START_TIMEOUT):
            while not server.started:
                if task.done():
                    task.result()  # raises the reason it stopped
                    raise RuntimeError("uvicorn stopped before it started")
                await asyncio.sleep(0.01)
        yield _root(server)
    finally:
        server.should_exit = True
        async with asyncio.timeout(STOP_TIMEOUT):
            await task


@contextmanager
def run_gateway_in_thread(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` under uvicorn on its own loop in a thread, for synchronous tests."""
    server = _server(app)
    thread = threading.Thread(target=server.run, name="gateway", daemon=True)
    thread.start()
    try:
        for _ in range(int(START_TIMEOUT / 0.01)):
            if server.started or not thread.is_alive():
                break
            threading.Event().wait(0.01)
        if not server.started:
            raise RuntimeError("the gateway did not start")
        yield _root(server)
    finally:
        server.should_exit = True
        thread.join(STOP_TIMEOUT)


GatewayFactory = Callable[..., AbstractAsyncContextManager[str]]


@asynccontextmanager
async def sdk(root: str, api_key: str = "x") -> AsyncIterator[openai.AsyncOpenAI]:
    """The official SDK pointed at a gateway, its own retries off."""
    client = openai.AsyncOpenAI(
        base_url=f"{root}/v1", api_key=api_key, max_retries=0, timeout=SDK_TIMEOUT
    )
    try:
        yield client
    finally:
        await client.close()


RAW_TIMEOUT = aiohttp.ClientTimeout(total=15)


@dataclass
class Answer:
    """One answer as it came over the wire."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


async def fetch(method: str, url: str, **kwargs: Any) -> Answer:
    """Send one request with a fresh aiohttp session and read the whole answer."""
    async with (
        aiohttp.ClientSession(timeout=RAW_TIMEOUT) as session,
        session.request(method, url, **kwargs) as response,
    ):
        body = await response.read()
        headers = {k.lower(): v for k, v in response.headers.items()}
        return Answer(response.status, headers, body)


def assert_openai_error(answer: Answer, status: int) -> dict[str, Any]:
    """Check an error answer: its status and the OpenAI body; return the error object."""
    assert answer.status == status, answer.body
    assert answer.headers["content-type"].startswith("application/json")
    error = answer.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["type"], str) and error["type"]
    assert "Traceback" not in error["message"]
    return error


# More events than any test's answer has: a runaway stream stops the parse, not the test run.
MAX_EVENTS = 500


def sse_events(body: str) -> list[tuple[str, dict[str, Any]]]:
    """The ``(event name, data)`` pairs of a server-sent event body with named events.

    Comment lines (``: keep-alive``) are skipped, as every client skips them.
    """
    events = []
    for block in body.split("\n\n")[:MAX_EVENTS]:
        lines = [line for line in block.splitlines() if line and not line.startswith(":")]
        if not lines:
            continue
        fields = dict(line.split(": ", 1) for line in lines)
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def prompt_of(emu: Emulator) -> str:
    """The prompt of the emulator's last chat request, whichever endpoint took it."""
    request = emu.requests[-1]
    return request.form.get("user_input") or request.query["user_input"]


async def logged_line(caplog: Any, needle: str, *, rounds: int = 500) -> str:
    """The one captured log line holding ``needle``, waiting for it a bounded while.

    The access log line is written once the answer has left, so a caller that has its answer
    may look before the line is there.
    """
    for _ in range(rounds):
        lines = [record.getMessage() for record in caplog.records]
        found = [line for line in lines if needle in line]
        if found:
            [line] = found
            return line
        await asyncio.sleep(0.01)
    raise AssertionError(f"no log line holds {needle!r} after {rounds} waits")
