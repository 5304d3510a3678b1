"""The emulator's web form endpoint (``POST /generate_response``), with raw aiohttp."""

import asyncio
import io
import json

import aiohttp
import pytest

from aiodynaspark.testing import Emulator, answer_for
from support.emulator_http import GIF, JPEG, MODEL, PNG, TIMEOUT, WEBP, web_form


async def test_web_form_answers_json_served_as_html(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    async with asyncio.timeout(TIMEOUT):
        async with session.post(f"{emu.url}/generate_response", data=web_form()) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
            body = json.loads(await resp.text())
    assert body == {"response": answer_for(MODEL, "Hello there")}


async def test_web_form_accepts_urlencoded_body(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    fields = {"user_input": "Hi", "ai_model": "gemini-1.5-flash-8b"}
    async with asyncio.timeout(TIMEOUT):
        async with session.post(f"{emu.url}/generate_response", data=fields) as resp:
            body = json.loads(await resp.text())
    assert body == {"response": "[gemini-1.5-flash-8b] Hi"}
    assert emu.requests[-1].form == fields


@pytest.mark.parametrize(
    ("image", "kind"), [(PNG, "png"), (JPEG, "jpeg"), (GIF, "gif"), (WEBP, "webp")]
)
async def test_web_form_describes_the_image_it_received(
    emu: Emulator, session: aiohttp.ClientSession, image: bytes, kind: str
) -> None:
    async with asyncio.timeout(TIMEOUT):
        async with session.post(f"{emu.url}/generate_response", data=web_form(image=image)) as resp:
            body = json.loads(await resp.text())
    assert body["response"] == f"[{MODEL}] Hello there [image {kind} {len(image)} bytes]"
    uploaded = emu.requests[-1].file
    assert uploaded is not None
    assert (uploaded.field_name, uploaded.filename, uploaded.data) == ("file", "picture.bin", image)
    assert uploaded.content_type == "image/png"


async def test_web_form_accepts_a_twenty_megabyte_image(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    image = PNG + bytes(20 * 1024 * 1024)
    async with asyncio.timeout(TIMEOUT):
        data = web_form(image=io.BytesIO(image))
        async with session.post(f"{emu.url}/generate_response", data=data) as resp:
            body = json.loads(await resp.text())
    assert body["response"].endswith(f"[image png {len(image)} bytes]")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (web_form(ai_model="gpt-4o"), "Invalid model: gpt-4o"),
        (web_form(user_input=None), "user_input"),
        (web_form(user_input="   "), "user_input"),
        (web_form(ai_model=None), "ai_model"),
        (web_form(image=b"%PDF-1.7 not an image"), "JPEG, PNG, GIF and WEBP"),
    ],
)
async def test_web_form_refuses_invalid_fields(
    emu: Emulator, session: aiohttp.ClientSession, data: aiohttp.FormData, problem: str
) -> None:
    async with asyncio.timeout(TIMEOUT):
        async with session.post(f"{emu.url}/generate_response", data=data) as resp:
            assert resp.status == 400
            body = await resp.json(content_type=None)
    assert problem in body["error"]


async def test_web_form_refuses_two_files(emu: Emulator, session: aiohttp.ClientSession) -> None:
    data = web_form(image=PNG)
    data.add_field("file", GIF, filename="second.gif", content_type="image/gif")
    async with asyncio.timeout(TIMEOUT):
        async with session.post(f"{emu.url}/generate_response", data=data) as resp:
            assert resp.status == 400
            assert "one file" in (await resp.json())["error"]


async def test_web_form_refuses_a_json_body(emu: Emulator, session: aiohttp.ClientSession) -> None:
    payload = {"user_input": "Hi", "ai_model": MODEL}
    async with asyncio.timeout(TIMEOUT):
        async with session.post(f"{emu.url}/generate_response", json=payload) as resp:
            assert resp.status == 400
            assert "multipart/form-data" in (await resp.json())["error"]
