"""A stream whose client leaves: the gateway stops reading and hangs up on the upstream.

The upstream here is a bare asyncio server that streams events slowly, for as long as
anyone reads, and records when the gateway closes its connection.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from aiodynaspark.server import create_app
from support.gateway import run_gateway

EVENT_GAP = 0.05
MAX_EVENTS = 400  # 20 s of events: far longer than any test waits
TIMEOUT = 10.0


class SlowUpstream:
    """Answers every request with an endless-looking SSE stream; notes each hang-up."""

    def __init__(self) -> None:
        self.hung_up = asyncio.Event()
        self.requests = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        self.requests += 1
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
        )
        # The gateway never sends more after its request: EOF here means it hung up.
        watch = asyncio.create_task(reader.read())
        try:
            for index in range(MAX_EVENTS):
                data = json.dumps({"choices": [{"delta": {"content": f"w{index} "}}]})
                writer.write(f"data: {data}\n\n".encode())
                await writer.drain()
                done, _ = await asyncio.wait({watch}, timeout=EVENT_GAP)
                if done:
                    self.hung_up.set()
                    return
        except ConnectionError:
            self.hung_up.set()
        finally:
            watch.cancel()
            writer.close()


@pytest.fixture
async def slow_gateway() -> AsyncIterator[tuple[SlowUpstream, str]]:
    upstream = SlowUpstream()
    async with upstream as url, run_gateway(create_app(base_url=url, max_retries=0)) as gateway:
        yield upstream, gateway


async def read_then_leave(gateway: str, prompt: str, count: int) -> list[dict[str, Any]]:
    """Ask the gateway for a stream, read its first ``count`` events, then hang up."""
    body = {"messages": [{"role": "user", "content": prompt}], "stream": True}
    events: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as session:
        response = await session.post(f"{gateway}/v1/chat/completions", json=body)
        assert response.status == 200
        async with asyncio.timeout(TIMEOUT):
            async for line in response.content:
                if line.startswith(b"data: "):
                    events.append(json.loads(line.removeprefix(b"data: ")))
                if len(events) == count:
                    break
        response.close()  # leave, mid-stream, without reading the rest
    return events


async def test_a_client_that_leaves_mid_stream_releases_the_upstream(
    slow_gateway: tuple[SlowUpstream, str],
) -> None:
    upstream, gateway = slow_gateway
    await read_then_leave(gateway, "Tell me everything", 3)
    await asyncio.wait_for(upstream.hung_up.wait(), TIMEOUT)
    assert upstream.requests == 1


async def test_events_keep_coming_while_the_client_reads(
    slow_gateway: tuple[SlowUpstream, str],
) -> None:
    upstream, gateway = slow_gateway
    events = await read_then_leave(gateway, "Go on", 6)
    texts = [event["choices"][0]["delta"].get("content") or "" for event in events]
    assert "".join(texts).split() == [f"w{index}" for index in range(6)]
    assert upstream.requests == 1


async def test_a_stream_ends_even_when_its_closing_error_cannot_be_built() -> None:
    from aiodynaspark.client import AsyncStream
    from aiodynaspark.server.core._streaming import EventStream

    async def broken() -> Any:
        raise RuntimeError("upstream broke")
        yield  # an async generator

    def unencodable(exc: Exception) -> bytes:
        raise ValueError("cannot encode")

    async def done() -> bytes:
        return b""

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await asyncio.Event().wait()  # the client never leaves
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    response = EventStream(b"data: first\n\n", AsyncStream(broken()), bytes, done, unencodable)
    async with asyncio.timeout(5):
        await response({"type": "http"}, receive, send)
    assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
