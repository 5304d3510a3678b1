"""The operator's model aliases: the names clients default to, mapped onto Dynaspark's models."""

import asyncio
from pathlib import Path

import anthropic
import pytest
from langchain_openai import ChatOpenAI

from aiodynaspark.server import create_app
from aiodynaspark.server.ops._keys import CallerKey, hash_key, new_key, write_keys_file
from aiodynaspark.testing import Emulator
from support.gateway import SDK_TIMEOUT, GatewayFactory, assert_openai_error, fetch, sdk

ALIASES = ["gpt-3.5-turbo=gemini-2.0-flash", "claude-sonnet-4=gemini-1.5-flash-8b"]


def asked_model(emu: Emulator) -> str:
    request = emu.requests[-1]
    return request.form.get("ai_model") or request.query["model"]


async def test_langchains_default_model_reaches_the_model_its_alias_names(
    start_gateway: GatewayFactory, emu: Emulator
) -> None:
    async with start_gateway(model_aliases=ALIASES) as root:
        chat = ChatOpenAI(base_url=f"{root}/v1", api_key="x", max_retries=0, timeout=SDK_TIMEOUT)
        async with asyncio.timeout(SDK_TIMEOUT):
            answer = await chat.ainvoke("Hello there")
    assert "gemini-2.0-flash" in str(answer.content)
    assert "gemini-2.0-flash" in asked_model(emu)


async def test_without_an_alias_a_vendor_model_name_is_404(gateway: str) -> None:
    answer = await fetch(
        "POST",
        f"{gateway}/v1/chat/completions",
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]},
    )
    assert assert_openai_error(answer, 404)["code"] == "model_not_found"


async def test_anthropic_sdk_reaches_the_model_its_claude_alias_names(
    start_gateway: GatewayFactory, emu: Emulator
) -> None:
    async with start_gateway(model_aliases=ALIASES) as root:
        client = anthropic.AsyncAnthropic(base_url=root, api_key="x", max_retries=0)
        try:
            async with asyncio.timeout(SDK_TIMEOUT):
                message = await client.messages.create(
                    model="claude-sonnet-4",
                    max_tokens=50,
                    messages=[{"role": "user", "content": "Hello there"}],
                )
        finally:
            await client.close()
    assert message.model == "gemini-1.5-flash-8b"
    assert "gemini-1.5-flash-8b" in asked_model(emu)


async def test_models_lists_and_retrieves_the_aliases(start_gateway: GatewayFactory) -> None:
    async with start_gateway(model_aliases=ALIASES) as root, sdk(root) as client:
        async with asyncio.timeout(SDK_TIMEOUT):
            models = await client.models.list()
            alias = await client.models.retrieve("gpt-3.5-turbo")
    ids = [model.id for model in models.data]
    assert {"gemini-2.0-flash", "gpt-3.5-turbo", "claude-sonnet-4"} <= set(ids)
    assert alias.owned_by == "alias of gemini-2.0-flash"


async def test_the_aliases_variable_is_read(
    start_gateway: GatewayFactory, emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIODYNASPARK_MODEL_ALIASES", "gpt-4o=gemini-2.0-flash-lite, o3=gemini")
    async with start_gateway() as root, sdk(root) as client:
        async with asyncio.timeout(SDK_TIMEOUT):
            done = await client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "Hi"}]
            )
    assert done.model == "gemini-2.0-flash-lite"


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ("gpt-4o", "name=model"),
        ("gemini-2.0-flash=gemini-1.5-flash", "is a model id"),
        ("gpt-4o=gpt-5", "no chat model"),
    ],
)
def test_a_bad_alias_stops_the_gateway_at_start(entry: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        create_app(model_aliases=[entry])


async def test_a_key_allowed_a_model_may_use_the_alias_that_names_it_and_no_other(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    key, path = new_key(), tmp_path / "keys.toml"
    write_keys_file(path, [CallerKey("alice", hash_key(key), models=("gemini-2.0-flash",))])
    headers = {"Authorization": f"Bearer {key}"}
    hi = [{"role": "user", "content": "Hi"}]
    async with start_gateway(model_aliases=ALIASES, keys_file=str(path)) as root:
        url = f"{root}/v1/chat/completions"
        allowed = await fetch(
            "POST", url, json={"model": "gpt-3.5-turbo", "messages": hi}, headers=headers
        )
        refused = await fetch(
            "POST", url, json={"model": "claude-sonnet-4", "messages": hi}, headers=headers
        )
    assert allowed.status == 200, allowed.body
    assert assert_openai_error(refused, 403)["code"] == "model_not_allowed"
