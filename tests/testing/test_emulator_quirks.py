"""The emulator's quirks: answers a real host may give that disagree with the library."""

import asyncio

import aiohttp
import pytest

from aiodynaspark.testing import Emulator, Quirk
from support.emulator_http import TIMEOUT

CHAT = "/api/generate_response"


async def _get(session: aiohttp.ClientSession, url: str, **params: str) -> tuple[int, bytes]:
    async with session.get(url, params=params, allow_redirects=False) as response:
        return response.status, await response.read()


async def test_url_over_the_limit_is_answered_414(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    status, body = await _get(session, emu.url + CHAT, user_input="x" * 9000)
    assert status == 414
    assert b"8192" in body


async def test_url_limit_can_be_lifted(emu: Emulator, session: aiohttp.ClientSession) -> None:
    emu.url_limit = None
    status, _ = await _get(session, emu.url + CHAT, user_input="x" * 20000)
    assert status == 200


async def test_no_done_stream_ends_cleanly_without_marker(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Quirk.no_done())
    status, body = await _get(session, emu.url + CHAT, user_input="hi", stream="true")
    assert status == 200
    assert b"data: {" in body
    assert b"[DONE]" not in body


async def test_ignore_stream_answers_json(emu: Emulator, session: aiohttp.ClientSession) -> None:
    emu.push(Quirk.ignore_stream())
    async with session.get(emu.url + CHAT, params={"user_input": "hi", "stream": "true"}) as r:
        assert r.content_type == "application/json"
        assert "response" in await r.json()


async def test_huge_body_sends_the_size_asked(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Quirk.huge_body(1_000_000))
    status, body = await _get(session, emu.url + CHAT, user_input="hi")
    assert status == 200
    assert len(body) >= 1_000_000
    assert body.startswith(b'{"response": "')


async def test_endless_body_keeps_sending(emu: Emulator, session: aiohttp.ClientSession) -> None:
    emu.push(Quirk.endless_body())
    async with session.get(emu.url + CHAT, params={"user_input": "hi"}) as response:
        received = 0
        async with asyncio.timeout(TIMEOUT):
            while received < 5_000_000:
                received += len(await response.content.read(65536))
    assert received >= 5_000_000


async def test_unterminated_event_has_no_newline(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Quirk.unterminated_event(200_000))
    status, body = await _get(session, emu.url + CHAT, user_input="hi", stream="true")
    assert status == 200
    assert body.startswith(b"data: ")
    assert b"\n" not in body


async def test_keepalive_only_sends_comments(emu: Emulator, session: aiohttp.ClientSession) -> None:
    emu.push(Quirk.keepalive_only(0.01))
    async with session.get(emu.url + CHAT, params={"user_input": "hi", "stream": "true"}) as r:
        async with asyncio.timeout(TIMEOUT):
            lines = [await r.content.readline() for _ in range(6)]
    assert set(lines) == {b": keepalive\n", b"\n"}


async def test_redirect_points_elsewhere(emu: Emulator, session: aiohttp.ClientSession) -> None:
    emu.push(Quirk.redirect("http://127.0.0.1:9/secret", 307))
    async with session.get(emu.url + CHAT, params={"user_input": "hi"}, allow_redirects=False) as r:
        assert r.status == 307
        assert r.headers["Location"] == "http://127.0.0.1:9/secret"


async def test_image_url_quirk_names_any_url(emu: Emulator, session: aiohttp.ClientSession) -> None:
    emu.push(Quirk.image_url("http://127.0.0.1:9/elsewhere.png"))
    async with session.get(emu.url + "/api/generate_image", params={"user_input": "cat"}) as r:
        assert (await r.json())["image_url"] == "http://127.0.0.1:9/elsewhere.png"


async def test_web_form_without_browser_headers_is_refused(
    session: aiohttp.ClientSession,
) -> None:
    async with Emulator(require_browser_headers=True) as emu:
        form = {"user_input": "hi", "ai_model": "gemini-1.5-flash"}
        async with session.post(emu.url + "/generate_response", data=form) as response:
            assert response.status == 403
            assert "origin" in await response.text()


async def test_client_that_leaves_is_counted_as_a_disconnect(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.latency = 2.0
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await _get(session, emu.url + CHAT, user_input="hi")
    for _ in range(500):
        if emu.disconnects:
            break
        await asyncio.sleep(0.01)
    assert emu.disconnects == 1
