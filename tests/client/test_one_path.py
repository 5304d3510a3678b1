"""Every request takes the same checks, whichever provider and whichever shape it has."""

import asyncio

import pytest

from aiodynaspark import AsyncClient, Dynaspark, DynasparkAPI, InvalidRequestError
from aiodynaspark.providers import RestChat, WebFormChat
from aiodynaspark.testing import Emulator

PROVIDERS = [None, "web", "api", ["web", "api"]]
BAD_CONVERSATIONS = {
    "unknown role": [{"role": "wizard", "content": "hi"}],
    "lone surrogate": [{"role": "user", "content": "bad \ud800 text"}],
    "lone surrogate in history": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "bad \udfff"},
    ],
}


@pytest.mark.parametrize("provider", PROVIDERS, ids=str)
@pytest.mark.parametrize("messages", BAD_CONVERSATIONS.values(), ids=BAD_CONVERSATIONS.keys())
async def test_a_bad_conversation_is_refused_on_every_path(
    emu: Emulator, provider: object, messages: list[dict[str, str]]
) -> None:
    async with AsyncClient(base_url=emu.url, max_retries=0) as client:
        with pytest.raises(InvalidRequestError):
            await asyncio.wait_for(
                client.chat.completions.create(messages=messages, provider=provider),  # type: ignore[arg-type]
                10,
            )
    assert emu.requests == []


async def test_a_lone_surrogate_in_the_system_option_is_refused(emu: Emulator) -> None:
    async with AsyncClient(base_url=emu.url, max_retries=0) as client:
        with pytest.raises(InvalidRequestError, match="system is not valid Unicode"):
            await asyncio.wait_for(
                client.chat.completions.create(
                    messages=[{"role": "user", "content": "hi"}], system="bad \ud800"
                ),
                10,
            )
    assert emu.requests == []


def test_each_provider_prepares_its_own_kind_of_request() -> None:
    messages = [{"role": "user", "content": "hi"}]
    web = Dynaspark.prepare_chat(None, messages, None, {})
    rest = DynasparkAPI.prepare_chat(None, messages, None, {"temperature": 0.5})
    assert isinstance(web, WebFormChat) and not isinstance(web, RestChat)
    assert isinstance(rest, RestChat) and rest.params["temperature"] == "0.5"
