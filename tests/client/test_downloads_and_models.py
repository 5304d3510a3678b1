"""``images.download``, the one way the library fetches an image by URL, and ``models``."""

import asyncio

import pytest

from aiodynaspark import AsyncClient, Client, MediaError, ModelNotSupportedError
from aiodynaspark._catalog import CHAT_MODELS
from aiodynaspark.testing import Emulator


async def test_a_generated_image_downloads_as_its_bytes(emu: Emulator) -> None:
    async with AsyncClient(base_url=emu.url, max_retries=0) as client:
        async with asyncio.timeout(10):
            generated = await client.images.generate(prompt="a dot", size="64x64")
            assert generated.data[0].url is not None
            data = await client.images.download(generated.data[0].url)
    assert data.startswith(b"\x89PNG")


async def test_a_public_only_download_refuses_a_loopback_host_before_connecting(
    emu: Emulator,
) -> None:
    async with AsyncClient(base_url=emu.url, max_retries=0) as client:
        generated = await asyncio.wait_for(client.images.generate(prompt="a dot"), 10)
        assert generated.data[0].url is not None
        with pytest.raises(MediaError, match="public addresses"):
            await asyncio.wait_for(
                client.images.download(generated.data[0].url, public_only=True), 10
            )
    assert [request.path for request in emu.requests] == ["/api/generate_image"]


def test_the_sync_client_downloads_the_same_way() -> None:
    with Emulator.run_in_thread("127.0.0.1", 0) as emu, Client(base_url=emu.url) as client:
        generated = client.images.generate(prompt="a dot", size="64x64")
        assert generated.data[0].url is not None
        assert client.images.download(generated.data[0].url).startswith(b"\x89PNG")


async def test_models_list_and_retrieve_agree_with_the_catalog() -> None:
    async with AsyncClient(base_url="http://127.0.0.1") as client:
        listed = await client.models.list()
        assert [model.id for model in listed.data] == list(CHAT_MODELS)
        assert (await client.models.retrieve(CHAT_MODELS[1])).id == CHAT_MODELS[1]
        with pytest.raises(ModelNotSupportedError, match="does not exist"):
            await client.models.retrieve("gemini")  # an alias is not a model id
