"""The b64_json image download fetches only what the operator allowed."""

import asyncio
import re

import pytest

from aiodynaspark import AsyncClient, ResponseError
from aiodynaspark.testing import Emulator, Quirk

TIMEOUT = 10.0


@pytest.fixture
async def client(emu: Emulator) -> AsyncClient:
    async with AsyncClient(base_url=emu.url, max_retries=0) as c:
        yield c  # type: ignore[misc]


async def _b64(client: AsyncClient) -> str | None:
    async with asyncio.timeout(TIMEOUT):
        images = await client.images.generate(prompt="a cat", response_format="b64_json")
    return images.data[0].b64_json


async def test_same_origin_image_is_downloaded(client: AsyncClient) -> None:
    assert await _b64(client)


async def test_image_url_on_another_origin_is_not_fetched(
    client: AsyncClient, emu: Emulator
) -> None:
    async with Emulator() as elsewhere:
        emu.push(Quirk.image_url(elsewhere.url + "/status"))
        with pytest.raises(ResponseError, match="another origin"):
            await _b64(client)
        assert elsewhere.requests == []


async def test_image_url_on_another_host_name_at_the_same_port_is_not_fetched(
    client: AsyncClient, emu: Emulator
) -> None:
    other = emu.url.replace("127.0.0.1", "localhost")
    emu.push(Quirk.image_url(other + "/status"))
    port = emu.url.rsplit(":", 1)[1]
    origins = f"(http://localhost:{port}, not http://127.0.0.1:{port})"
    with pytest.raises(ResponseError, match=re.escape(origins)):
        await _b64(client)


async def test_image_url_on_another_scheme_at_the_same_address_is_not_fetched(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push(Quirk.image_url(emu.url.replace("http://", "https://") + "/status"))
    with pytest.raises(ResponseError, match="another origin"):
        await _b64(client)


async def test_image_url_that_redirects_to_a_loopback_page_is_not_followed(
    client: AsyncClient, emu: Emulator
) -> None:
    async with Emulator() as elsewhere:
        emu.push(
            Quirk.image_url(emu.url + "/api/generate_image?user_input=x"),
            Quirk.redirect(elsewhere.url + "/status"),
        )
        with pytest.raises(ResponseError, match="redirects are not followed"):
            await _b64(client)
        assert elsewhere.requests == []


async def test_image_url_that_is_not_an_image_is_refused(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push(Quirk.image_url(emu.url + "/status"))
    with pytest.raises(
        ResponseError, match="answered application/json; charset=utf-8 that is not a JPEG"
    ):
        await _b64(client)


async def test_oversized_image_is_refused_unread(client: AsyncClient, emu: Emulator) -> None:
    emu.push(
        Quirk.image_url(emu.url + "/api/generate_response?user_input=x"),
        Quirk.endless_body(),
    )
    with pytest.raises(ResponseError, match="max_response_bytes"):
        await _b64(client)
