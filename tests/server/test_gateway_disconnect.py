"""A caller who leaves cancels the work: the upstream request is aborted, the pool freed."""

import asyncio
import logging

import aiohttp
import pytest

from aiodynaspark import AsyncClient
from aiodynaspark.testing import Emulator, Fault
from support.gateway import GatewayFactory, fetch, logged_line

TIMEOUT = 10.0
CHAT = {"model": "gemini-2.0-flash", "messages": [{"role": "user", "content": "hi"}]}


async def _leave_after(url: str, body: dict[str, object], seconds: float) -> None:
    """Post ``body`` and hang up after ``seconds``, whatever came by then."""
    async with aiohttp.ClientSession() as session:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(seconds):
                async with session.post(url + "/v1/chat/completions", json=body) as response:
                    await response.content.readany()  # the first piece, if streaming
                    await response.read()


async def _wait_for_disconnect(emu: Emulator) -> None:
    for _ in range(300):
        if emu.disconnects:
            return
        await asyncio.sleep(0.01)


async def _second_request_is_served_at_once(url: str) -> None:
    async with asyncio.timeout(3.0):
        answer = await fetch("POST", url + "/v1/chat/completions", json=CHAT)
    assert answer.status == 200


async def test_non_stream_caller_who_leaves_aborts_the_upstream_request(
    start_gateway: GatewayFactory, emu: Emulator
) -> None:
    upstream = AsyncClient(base_url=emu.url, max_retries=0, connection_limit=1)
    async with upstream, start_gateway(client=upstream) as url:
        emu.push(Fault.hang(30))
        await _leave_after(url, CHAT, 0.3)
        await _wait_for_disconnect(emu)
        assert emu.disconnects == 1
        await _second_request_is_served_at_once(url)


async def test_stream_caller_who_leaves_before_the_first_piece_aborts_it(
    start_gateway: GatewayFactory, emu: Emulator
) -> None:
    upstream = AsyncClient(base_url=emu.url, max_retries=0, connection_limit=1)
    async with upstream, start_gateway(client=upstream) as url:
        emu.push(Fault.hang(30))
        await _leave_after(url, {**CHAT, "stream": True}, 0.3)
        await _wait_for_disconnect(emu)
        assert emu.disconnects == 1
        await _second_request_is_served_at_once(url)


async def test_stream_caller_who_leaves_after_the_first_piece_aborts_it(
    start_gateway: GatewayFactory, emu: Emulator
) -> None:
    upstream = AsyncClient(base_url=emu.url, max_retries=0, connection_limit=1)
    async with upstream, start_gateway(client=upstream) as url:
        emu.hold()
        await _leave_after(url, {**CHAT, "stream": True}, 0.5)
        await _wait_for_disconnect(emu)
        emu.release()
        assert emu.disconnects == 1
        await _second_request_is_served_at_once(url)


async def test_caller_who_leaves_is_logged_499(
    gateway: str, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu.push(Fault.hang(30))
    with caplog.at_level(logging.INFO, logger="aiodynaspark.server.access"):
        await _leave_after(gateway, CHAT, 0.3)
        await _wait_for_disconnect(emu)
        line = await logged_line(caplog, "chat/completions")
    assert '"POST /v1/chat/completions" 499' in line
