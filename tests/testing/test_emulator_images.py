"""The emulator's image endpoints: generation, the served PNG, refusals."""

import asyncio
import struct

import aiohttp
import pytest

from aiodynaspark.testing import IMAGE_MODELS, Emulator
from support.emulator_http import TIMEOUT


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_generated_image_url_serves_a_png_of_the_requested_size(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    params = {"user_input": "a red fox", "width": "1024", "height": "512", "model": "turbo"}
    async with asyncio.timeout(TIMEOUT):
        async with session.get(f"{emu.url}/api/generate_image", params=params) as resp:
            body = await resp.json()
        async with session.get(body["image_url"]) as resp:
            assert resp.content_type == "image/png"
            image = await resp.read()
    assert body["model"] == "turbo"
    assert isinstance(body["seed"], int)
    assert body["image_url"].startswith(f"{emu.url}/images/")
    assert png_size(image) == (1024, 512)


async def test_image_defaults_are_flux_768_and_a_seed_derived_from_the_prompt(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    async with asyncio.timeout(TIMEOUT):
        bodies = []
        for _ in range(2):
            async with session.get(
                f"{emu.url}/api/generate_image", params={"user_input": "sky"}
            ) as r:
                bodies.append(await r.json())
        async with session.get(bodies[0]["image_url"]) as resp:
            image = await resp.read()
    assert bodies[0] == bodies[1]
    assert bodies[0]["model"] == IMAGE_MODELS[0] == "flux"
    assert png_size(image) == (768, 768)


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({}, "user_input"),
        ({"width": "63"}, "width"),
        ({"height": "2049"}, "height"),
        ({"width": "wide"}, "width"),
        ({"model": "dall-e"}, "Invalid model: dall-e"),
        ({"nologo": "maybe"}, "nologo"),
        ({"seed": "x"}, "seed"),
    ],
)
async def test_image_generation_refuses_invalid_parameters(
    emu: Emulator, session: aiohttp.ClientSession, params: dict[str, str], problem: str
) -> None:
    if params:
        params = {"user_input": "sky", **params}
    async with asyncio.timeout(TIMEOUT):
        async with session.get(f"{emu.url}/api/generate_image", params=params) as resp:
            assert resp.status == 400
            assert problem in (await resp.json())["error"]


async def test_unknown_image_token_is_not_found(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    async with asyncio.timeout(TIMEOUT):
        async with session.get(f"{emu.url}/images/0123456789abcdef.png") as resp:
            assert resp.status == 404
