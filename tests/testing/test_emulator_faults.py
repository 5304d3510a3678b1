"""The emulator's faults: each kind, its delay, the queue and random faults."""

import asyncio
import json
import math
import time

import aiohttp
import pytest

from aiodynaspark.testing import Emulator, Fault
from support.emulator_http import TIMEOUT, chat, collect, sse_payloads, web_form


@pytest.mark.parametrize(
    ("body_type", "content_type", "expected"),
    [
        ("json", "application/json", '{"error": "Backend exploded"}'),
        ("text", "text/plain", "Backend exploded"),
        ("html", "text/html", "<title>Backend exploded</title>"),
    ],
)
async def test_status_fault_answers_with_its_code_body_and_headers(
    emu: Emulator,
    session: aiohttp.ClientSession,
    body_type: str,
    content_type: str,
    expected: str,
) -> None:
    emu.push(
        Fault.status(502, "Backend exploded", body_type=body_type, headers={"x-trace": "t1"})  # type: ignore[arg-type]
    )
    async with asyncio.timeout(TIMEOUT):
        async with session.post(f"{emu.url}/generate_response", data=web_form()) as resp:
            assert (resp.status, resp.content_type) == (502, content_type)
            assert resp.headers["x-trace"] == "t1"
            assert expected in await resp.text()


async def test_status_fault_message_defaults_to_the_status_phrase(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.status(418))
    async with asyncio.timeout(TIMEOUT):
        status, body, _ = await chat(session, emu)
    assert (status, body) == (418, {"error": "I'm a Teapot"})


async def test_cloudflare_fault_is_a_challenge_page(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.cloudflare())
    async with asyncio.timeout(TIMEOUT):
        async with session.post(f"{emu.url}/generate_response", data=web_form()) as resp:
            assert (resp.status, resp.content_type) == (403, "text/html")
            assert resp.headers["server"] == "cloudflare"
            assert resp.headers["cf-mitigated"] == "challenge"
            assert resp.headers["cf-ray"]
            assert "<title>Just a moment...</title>" in await resp.text()


async def test_waking_fault_is_a_503_html_page(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.waking())
    async with asyncio.timeout(TIMEOUT):
        async with session.get(f"{emu.url}/api/generate_response", params={"user_input": "x"}) as r:
            assert (r.status, r.content_type) == (503, "text/html")
            assert r.headers["x-render-routing"] == "hibernate-wake-error"
            assert "Service Unavailable" in await r.text()


async def test_rate_limited_fault_carries_retry_after_and_quota_headers(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.rate_limited(1.2, reset_in=30), Fault.rate_limited(None))
    before = time.time()
    async with asyncio.timeout(TIMEOUT):
        first = await chat(session, emu)
        second = await chat(session, emu)
    after = time.time()
    status, body, headers = first
    assert status == 429
    assert "Rate limit exceeded" in str(body["error"])
    assert headers["Retry-After"] == "2"
    assert headers["X-RateLimit-Limit"] == "100"
    assert headers["X-RateLimit-Remaining"] == "0"
    assert int(before + 30) <= int(headers["X-RateLimit-Reset"]) <= math.ceil(after + 30)
    assert second[0] == 429
    assert "Retry-After" not in second[2]
    assert "X-RateLimit-Reset" not in second[2]


async def test_not_json_fault_is_a_200_html_page(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.not_json())
    async with asyncio.timeout(TIMEOUT):
        async with session.get(f"{emu.url}/api/generate_response", params={"user_input": "x"}) as r:
            assert r.status == 200
            text = await r.text()
    assert text.lstrip().startswith("<!DOCTYPE html>")
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


async def test_missing_response_fault_is_json_without_response(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.missing_response())
    async with asyncio.timeout(TIMEOUT):
        async with session.post(f"{emu.url}/generate_response", data=web_form()) as resp:
            assert resp.status == 200
            body = json.loads(await resp.text())
    assert isinstance(body, dict)
    assert "response" not in body


async def test_drop_fault_disconnects_without_an_answer(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.drop())
    async with asyncio.timeout(TIMEOUT):
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await session.post(f"{emu.url}/generate_response", data=web_form())
        async with session.post(f"{emu.url}/generate_response", data=web_form()) as resp:
            assert resp.status == 200


async def test_drop_fault_on_get_is_retried_once_by_aiohttp(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    # aiohttp silently resends an idempotent request once after a disconnect,
    # so one dropped GET reaches the emulator twice.
    emu.push(Fault.drop(), Fault.drop())
    async with asyncio.timeout(TIMEOUT):
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await chat(session, emu)
    assert len(emu.requests) == 2


async def test_hang_fault_answers_normally_after_its_wait(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.hang(0.3))
    start = time.monotonic()
    async with asyncio.timeout(TIMEOUT):
        status, _, _ = await chat(session, emu)
    assert status == 200
    assert time.monotonic() - start >= 0.3


async def test_hang_fault_trips_a_client_timeout(emu: Emulator) -> None:
    emu.push(Fault.hang(30))
    async with (
        asyncio.timeout(TIMEOUT),
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.2)) as client,
    ):
        with pytest.raises(asyncio.TimeoutError):
            await chat(client, emu)


async def test_close_cancels_a_hanging_handler_at_once(session: aiohttp.ClientSession) -> None:
    emu = Emulator()
    async with asyncio.timeout(TIMEOUT):
        await emu.start()
        emu.push(Fault.hang(30))
        pending = asyncio.ensure_future(chat(session, emu))
        for _ in range(200):  # let the request reach its hang
            if emu.requests:
                break
            await asyncio.sleep(0.01)
        # Within TIMEOUT, far less than the 30 s hang: close() cancelled the handler.
        await emu.close()
        with pytest.raises(aiohttp.ClientError):
            await pending


async def test_fault_delay_waits_before_the_fault_acts(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.status(500, delay=0.3))
    start = time.monotonic()
    async with asyncio.timeout(TIMEOUT):
        status, _, _ = await chat(session, emu)
    assert status == 500
    assert time.monotonic() - start >= 0.3


async def test_cut_stream_sends_some_events_then_breaks_without_done(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.cut_stream(after=2))
    params = {"user_input": "one two three four", "stream": "true"}
    chunks: list[bytes] = []
    async with asyncio.timeout(TIMEOUT):
        async with session.get(f"{emu.url}/api/generate_response", params=params) as resp:
            assert resp.status == 200
            with pytest.raises(aiohttp.ClientPayloadError):
                await collect(resp, chunks)
    payloads = sse_payloads(b"".join(chunks).decode())
    assert len(payloads) == 2
    assert "[DONE]" not in payloads


async def test_cut_stream_on_a_request_that_does_not_stream_drops_it(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.cut_stream())
    async with asyncio.timeout(TIMEOUT):
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await session.post(f"{emu.url}/generate_response", data=web_form())


async def test_none_in_the_queue_answers_normally(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(None, Fault.status(500), None)
    async with asyncio.timeout(TIMEOUT):
        statuses = [(await chat(session, emu))[0] for _ in range(4)]
    assert statuses == [200, 500, 200, 200]


async def test_faults_apply_to_image_generation(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.waking())
    async with asyncio.timeout(TIMEOUT):
        async with session.get(f"{emu.url}/api/generate_image", params={"user_input": "x"}) as r:
            assert r.status == 503


async def test_random_faults_follow_their_rate_and_seed(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    async def statuses() -> list[int]:
        return [(await chat(session, emu))[0] for _ in range(30)]

    async with asyncio.timeout(TIMEOUT):
        emu.fail_randomly(Fault.status(503), rate=0.5, seed=7)
        first = await statuses()
        emu.fail_randomly(Fault.status(503), rate=0.5, seed=7)
        second = await statuses()
        emu.fail_randomly(Fault.status(503), rate=0)
        off = await statuses()
    assert first == second
    assert first.count(503) > 5
    assert first.count(200) > 5
    assert off == [200] * 30


def test_fault_constructors_refuse_invalid_values() -> None:
    with pytest.raises(ValueError, match="status code"):
        Fault.status(42)
    with pytest.raises(ValueError, match="shape"):
        Fault.stream_shape("xml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="after"):
        Fault.cut_stream(-1)
    with pytest.raises(ValueError, match="delay"):
        Fault.drop(delay=-1)
