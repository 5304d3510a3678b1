"""Connections and headers: Host check, HEAD, escaped access log, header-read timeout."""

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
import uvicorn
from fastapi import FastAPI

from aiodynaspark.server import create_app
from aiodynaspark.server._protocol import protocol_with_header_timeout
from aiodynaspark.server._serve import uvicorn_options_for
from aiodynaspark.server._settings import ServeSettings
from aiodynaspark.testing import Emulator
from support.gateway import (
    GatewayFactory,
    assert_openai_error,
    fetch,
    logged_line,
    run_gateway,
)

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
        line = await logged_line(caplog, "/x")
    assert "\n" not in line
    assert "\x1b" not in line
    assert "\\n127.0.0.1" in line
    assert '\\"GET' in line


@pytest.fixture(params=[0.3])
async def slow_header_server(request: pytest.FixtureRequest) -> AsyncIterator[int]:
    config = uvicorn.Config(
        FastAPI(),
        host="127.0.0.1",
        port=0,
        log_config=None,
        lifespan="off",
        http=protocol_with_header_timeout(request.param),
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


@pytest.mark.parametrize("slow_header_server", [1.0], indirect=True)
async def test_header_timeout_counts_again_from_the_end_of_an_answer(
    slow_header_server: int,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", slow_header_server)
    try:
        # Answered well inside the first second, so the first deadline passes while the
        # connection idles after its answer: it is closed only at the deadline counted from
        # the answer (kept alive, nothing else closes it).
        await asyncio.sleep(0.3)
        writer.write(b"GET /nothing HTTP/1.1\r\nHost: localhost\r\n\r\n")
        async with asyncio.timeout(TIMEOUT):
            answer = await reader.read()  # everything until the server closes
        assert answer.startswith(b"HTTP/1.1 404")
    finally:
        writer.close()


def test_serve_caps_connections_and_times_out_headers() -> None:
    settings = ServeSettings(max_connections=7, header_timeout=2.5)
    options = uvicorn_options_for(settings, "info")
    assert options["limit_concurrency"] == 7
    assert options["http"].header_timeout == 2.5


async def _client_logged(
    emu: Emulator, caplog: pytest.LogCaptureFixture, settings: ServeSettings, forwarded: str
) -> str:
    app = create_app(base_url=emu.url, max_retries=0, ui=False)
    request = (
        f"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: {forwarded}\r\n"
        "Connection: close\r\n\r\n"
    )
    with caplog.at_level(logging.INFO, logger="aiodynaspark.server.access"):
        async with run_gateway(app, **uvicorn_options_for(settings, "info")) as root:
            host, port = root.removeprefix("http://").split(":")
            # A raw request: HTTP clients refuse to send such bytes in a header.
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, int(port)), TIMEOUT
            )
            writer.write(request.encode("latin-1"))
            status = await asyncio.wait_for(reader.readline(), TIMEOUT)
            writer.close()
    assert status.startswith(b"HTTP/1.1 200")
    [line] = [r.getMessage() for r in caplog.records if "/health" in r.getMessage()]
    return line


async def test_a_forged_x_forwarded_for_from_loopback_is_not_the_logged_client(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    line = await _client_logged(emu, caplog, ServeSettings(), "203.0.113.9")
    assert line.startswith("127.0.0.1 ")
    assert "203.0.113.9" not in line


async def test_a_trusted_proxys_client_is_logged_escaped(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    settings = ServeSettings(trusted_proxies=("127.0.0.1",))
    # HTTP parsers refuse control characters in headers; a quote and a non-ASCII byte pass.
    line = await _client_logged(emu, caplog, settings, '203.0.113.9" 200 \xe9')
    assert line.startswith('203.0.113.9\\" 200 \\xe9 "GET /health"')


async def test_past_the_connection_cap_the_503_is_a_json_error(emu: Emulator) -> None:
    app = create_app(base_url=emu.url, max_retries=0, ui=False)
    options = uvicorn_options_for(ServeSettings(max_connections=2), "info")
    async with run_gateway(app, **options) as root:
        host, port = root.removeprefix("http://").split(":")
        # One idle connection holds a place; the next request finds the cap reached.
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), TIMEOUT)
        try:
            answer = await fetch("GET", root + "/health")
        finally:
            writer.close()
    error = assert_openai_error(answer, 503)
    assert error["code"] == "too_many_connections"
