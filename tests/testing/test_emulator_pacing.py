"""What holds the emulator's answers back: hold and release, latency, cold start."""

import asyncio
import json
import time

import aiohttp
import pytest

from aiodynaspark.testing import Emulator, answer_for
from support.emulator_http import MODEL, TIMEOUT, chat, sse_payloads, web_form


async def test_hold_sends_the_first_event_then_waits_for_release(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.hold()
    params = {"user_input": "slow and steady", "stream": "true"}
    async with asyncio.timeout(TIMEOUT):
        async with session.get(f"{emu.url}/api/generate_response", params=params) as resp:
            first = await resp.content.readuntil(b"\n\n")
            assert sse_payloads(first.decode())
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):
                    await resp.content.readuntil(b"\n\n")
            emu.release()
            rest = await resp.content.read()
    assert sse_payloads(rest.decode())[-1] == "[DONE]"


async def test_hold_keeps_the_web_form_answer_until_release(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.hold()

    async def post() -> str:
        async with session.post(f"{emu.url}/generate_response", data=web_form()) as resp:
            return await resp.text()

    async with asyncio.timeout(TIMEOUT):
        answer = asyncio.create_task(post())
        done, _ = await asyncio.wait({answer}, timeout=0.2)
        assert not done and len(emu.requests) == 1  # received, and held
        emu.release()
        body = json.loads(await answer)
    assert body == {"response": answer_for(MODEL, "Hello there")}


async def test_latency_delays_every_answer_until_it_is_set_back_to_zero(
    session: aiohttp.ClientSession,
) -> None:
    # A latency of a minute against a client that waits a fifth of a second: each request
    # times out, however loaded the machine; with the latency back at zero, one answers.
    async with (
        asyncio.timeout(TIMEOUT),
        Emulator(latency=60.0) as emu,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.2)) as impatient,
    ):
        for _ in range(2):
            with pytest.raises(asyncio.TimeoutError):
                await chat(impatient, emu)
        emu.latency = 0.0
        status, _, _ = await chat(session, emu)
    assert status == 200


async def test_cold_start_delays_the_first_request(session: aiohttp.ClientSession) -> None:
    # At least the cold start, a bound a loaded machine cannot break (it only adds time).
    async with asyncio.timeout(TIMEOUT), Emulator(cold_start=0.3) as emu:
        start = time.monotonic()
        async with session.get(f"{emu.url}/status"):
            pass
        first = time.monotonic() - start
        status, _, _ = await chat(session, emu)
    assert first >= 0.3
    assert status == 200
