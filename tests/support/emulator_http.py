"""Raw requests to the emulator, for the tests of the emulator itself (tests/testing/)."""

import io

import aiohttp
from multidict import CIMultiDictProxy

from aiodynaspark.testing import Emulator

TIMEOUT = 5.0
PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)
JPEG = b"\xff\xd8\xff\xe0" + bytes(40)
GIF = b"GIF89a" + bytes(40)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(40)
MODEL = "gemini-2.0-flash"


def web_form(
    user_input: str | None = "Hello there",
    ai_model: str | None = MODEL,
    image: bytes | io.BytesIO | None = None,
) -> aiohttp.FormData:
    data = aiohttp.FormData()
    if user_input is not None:
        data.add_field("user_input", user_input)
    if ai_model is not None:
        data.add_field("ai_model", ai_model)
    if image is not None:
        data.add_field("file", image, filename="picture.bin", content_type="image/png")
    return data


def sse_payloads(text: str) -> list[str]:
    """Split an SSE body into event payloads (``data:`` lines joined by newlines)."""
    payloads = []
    for event in text.split("\n\n"):
        lines = [
            line[5:].removeprefix(" ") for line in event.split("\n") if line.startswith("data:")
        ]
        if lines:
            payloads.append("\n".join(lines))
    return payloads


async def chat(
    session: aiohttp.ClientSession, emu: Emulator, **params: str
) -> tuple[int, dict[str, object], CIMultiDictProxy[str]]:
    params.setdefault("user_input", "Hello there")
    async with session.get(f"{emu.url}/api/generate_response", params=params) as resp:
        return resp.status, await resp.json(content_type=None), resp.headers


async def collect(resp: aiohttp.ClientResponse, chunks: list[bytes]) -> None:
    async for chunk in resp.content.iter_any():
        chunks.append(chunk)
