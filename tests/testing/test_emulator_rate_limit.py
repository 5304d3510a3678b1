"""The emulator's own rate limit: the countdown, the refusal, the window, reset."""

import asyncio
import math
import time

import aiohttp

from aiodynaspark.testing import Emulator, Fault
from support.emulator_http import TIMEOUT, chat, web_form


async def test_rate_limit_counts_down_then_refuses_with_retry_after(
    session: aiohttp.ClientSession,
) -> None:
    before = time.time()
    async with asyncio.timeout(TIMEOUT), Emulator(rate_limit=3, rate_window=60) as emu:
        answers = [await chat(session, emu) for _ in range(4)]
    after = time.time()
    remaining = [headers["X-RateLimit-Remaining"] for _, _, headers in answers]
    assert remaining == ["2", "1", "0", "0"]
    assert all(headers["X-RateLimit-Limit"] == "3" for _, _, headers in answers)
    status, body, headers = answers[3]
    assert status == 429
    assert "Rate limit exceeded" in str(body["error"])
    assert 59 <= int(headers["Retry-After"]) <= 60
    assert int(before + 60) <= int(headers["X-RateLimit-Reset"]) <= math.ceil(after + 60)
    assert "Retry-After" not in answers[0][2]


async def test_rate_limit_window_reopens_after_it_ends(session: aiohttp.ClientSession) -> None:
    async with asyncio.timeout(TIMEOUT), Emulator(rate_limit=1, rate_window=0.2) as emu:
        first = await chat(session, emu)
        refused = await chat(session, emu)
        await asyncio.sleep(0.25)
        again = await chat(session, emu)
    assert [first[0], refused[0], again[0]] == [200, 429, 200]


async def test_rate_limit_applies_to_the_web_form(session: aiohttp.ClientSession) -> None:
    async with asyncio.timeout(TIMEOUT), Emulator(rate_limit=1) as emu:
        statuses = []
        for _ in range(2):
            async with session.post(f"{emu.url}/generate_response", data=web_form()) as resp:
                statuses.append(resp.status)
                assert resp.headers["X-RateLimit-Limit"] == "1"
    assert statuses == [200, 429]


async def test_reset_clears_requests_faults_quota_and_ports(session: aiohttp.ClientSession) -> None:
    async with asyncio.timeout(TIMEOUT), Emulator(rate_limit=1) as emu:
        await chat(session, emu)
        emu.push(Fault.status(500))
        emu.fail_randomly(Fault.status(503), rate=1.0)
        emu.reset()
        assert (emu.requests, emu.peer_ports) == ([], set())
        status, _, headers = await chat(session, emu)
    assert status == 200
    assert headers["X-RateLimit-Remaining"] == "0"
