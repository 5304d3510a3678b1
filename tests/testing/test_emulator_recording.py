"""What the emulator records: each request's fields, and the client ports it saw."""

import asyncio
import time

import aiohttp
import pytest

from aiodynaspark.testing import Emulator, RecordedRequest
from support.emulator_http import MODEL, PNG, TIMEOUT, chat, web_form


async def test_requests_are_recorded_with_query_form_and_lowercase_headers(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    async with asyncio.timeout(TIMEOUT):
        async with session.get(
            f"{emu.url}/api/generate_response",
            params={"user_input": "Hi", "seed": "3"},
            headers={"X-Requested-With": "XMLHttpRequest"},
        ):
            pass
        async with session.post(f"{emu.url}/generate_response", data=web_form(image=PNG)):
            pass
    rest, form = emu.requests
    assert isinstance(rest, RecordedRequest)
    assert (rest.method, rest.path, rest.query) == (
        "GET",
        "/api/generate_response",
        {"user_input": "Hi", "seed": "3"},
    )
    assert rest.headers["x-requested-with"] == "XMLHttpRequest"
    assert rest.form == {} and rest.file is None
    assert rest.peer_port in emu.peer_ports
    assert (form.method, form.path, form.form) == (
        "POST",
        "/generate_response",
        {"user_input": "Hello there", "ai_model": MODEL},
    )
    assert form.file is not None and form.file.data == PNG
    assert rest.at <= form.at <= time.monotonic()


async def test_record_false_keeps_no_requests_but_counts_ports(
    session: aiohttp.ClientSession,
) -> None:
    async with asyncio.timeout(TIMEOUT), Emulator(record=False) as emu:
        await chat(session, emu)
        assert emu.requests == []
        assert len(emu.peer_ports) == 1


@pytest.mark.parametrize(("force_close", "connections"), [(False, 1), (True, 3)])
async def test_peer_ports_count_tcp_connections(
    emu: Emulator, force_close: bool, connections: int
) -> None:
    connector = aiohttp.TCPConnector(limit=1, force_close=force_close)
    async with asyncio.timeout(TIMEOUT), aiohttp.ClientSession(connector=connector) as client:
        for _ in range(3):
            await chat(client, emu)
    assert len(emu.peer_ports) == connections
