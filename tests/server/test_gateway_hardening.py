"""Connections and headers: Host check, HEAD, escaped access log, header-read timeout."""

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
import uvicorn
from fastapi import FastAPI

from aiodynaspark.server._protocol import protocol_with_header_timeout
from aiodynaspark.server._serve import uvicorn_options_for
from aiodynaspark.server._settings import ServeSettings
from support.gateway import GatewayFactory, assert_openai_error, fetch

TIMEOUT = 5.0


async def test_foreign_host_header_is_refused_on_a_loopback_bind(gateway: str) -> None:
    answer = await fetch("GET", gateway + "/health", headers={"Host": "rebind.example:8080"})
    error = assert_openai_error(answer, 400)
    assert error["code"] == "invalid_host"
    assert "allowed_hosts" in error["message"]


@pytest.mark.parametrize("host", ["localhost:8080", "127.0.0.1", "[::1]:80", "LOCALHOST"])
async def test_loopback_host_headers_are_answered(gateway: str, host: str) -> None:
    answer = await fetch("GET", gateway + "/health", headers={"Host": host})
    assert answer.status == 200


async def test_allowed_hosts_adds_names(start_gateway: GatewayFactory) -> None:
    async with start_gateway(allowed_hosts=["chat.internal"]) as url:
        answer = await fetch("GET", url + "/health", headers={"Host": "chat.internal:443"})
    assert answer.status == 200


async def test_head_is_answered_wherever_get_is(gateway: str) -> None:
    for path in ("/health", "/v1/models", "/"):
        answer = await fetch("HEAD", gateway + path)
        assert answer.status == 200, path
        assert answer.body == b""


async def test_access_log_escapes_newlines_and_escapes_in_the_path(
    gateway: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="aiodynaspark.server.access"):
        await fetch("GET", gateway + "/x%0a127.0.0.1%20%22GET%20/admin%22%20200%1b[31m")
    [line] = [r.getMessage() for r in caplog.records if "/x" in r.getMessage()]
    assert "\n" not in line
    assert "\x1b" not in line
    assert "\\n127.0.0.1" in line
    assert '\\"GET' in line


@pytest.fixture
async def slow_header_server() -> AsyncIterator[int]:
    config = uvicorn.Config(
        FastAPI(),
        host="127.0.0.1",
        port=0,
        log_config=None,
        lifespan="off",
        http=protocol_with_header_timeout(0.3),
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(int(TIMEOUT / 0.01)):
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        async with asyncio.timeout(TIMEOUT):
            await task


async def test_slow_header_sender_is_disconnected(slow_header_server: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", slow_header_server)
    try:
        writer.write(b"GET / HTTP/1.1\r\nHost: localhost\r\n")  # headers never finished
        await writer.drain()
        async with asyncio.timeout(TIMEOUT):
            assert await reader.read() == b""  # closed by the server
    finally:
        writer.close()


async def test_prompt_header_sender_is_answered(slow_header_server: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", slow_header_server)
    try:
        writer.write(b"GET /nothing HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        async with asyncio.timeout(TIMEOUT):
            assert (await reader.read()).startswith(b"HTTP/1.1 404")
    finally:
        writer.close()


def test_serve_caps_connections_and_times_out_headers() -> None:
    settings = ServeSettings(max_connections=7, header_timeout=2.5)
    options = uvicorn_options_for(settings, "info")
    assert options["limit_concurrency"] == 7
    assert options["http"].header_timeout == 2.5
