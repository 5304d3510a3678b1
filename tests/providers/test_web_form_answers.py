"""The web form provider: its multipart body, its refusals and the answers it cannot read.

Each test here once let a mutation of the provider pass (docs/testing.md, "Mutation testing").
"""

import asyncio
import re

import pytest

from aiodynaspark import (
    AsyncClient,
    Dynaspark,
    InvalidRequestError,
    ModelNotSupportedError,
    ResponseError,
)
from aiodynaspark.testing import Emulator, answer_for
from support.media import PNG, collect
from support.raw_server import RawServer, json_answer

USER = [{"role": "user", "content": "hello"}]
FIXED_BOUNDARY = "----aiodynasparkFormBoundary0b5e9c7a4f1d"


async def _ask(base_url: str, messages: object = USER) -> str:
    return await collect(
        Dynaspark.create_async_generator("", messages, base_url=base_url, max_retries=0)  # type: ignore[arg-type]
    )


async def test_prompt_holding_the_form_boundary_arrives_intact(emu: Emulator) -> None:
    prompt = f"before\r\n--{FIXED_BOUNDARY}\r\nafter"
    assert await _ask(emu.url, [{"role": "user", "content": prompt}])
    assert emu.requests[0].form == {"user_input": prompt, "ai_model": "gemini-1.5-flash"}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"error": "quota spent"}, "The service answered 200 with an error: quota spent"),
        (
            {"error": {"code": 1}, "id": "x"},
            "The service answered 200 with JSON that has no string 'response' (keys: error, id).",
        ),
        ({}, "The service answered 200 with JSON that has no string 'response' (keys: none)."),
    ],
)
async def test_answer_without_a_response_is_refused_saying_what_it_held(
    payload: dict[str, object], message: str
) -> None:
    async with RawServer(json_answer(payload)) as server:
        with pytest.raises(ResponseError, match=f"^{re.escape(message)}$"):
            await _ask(server.url)


def test_unknown_keyword_is_named_with_what_the_web_form_takes() -> None:
    message = (
        "Dynaspark does not take temperature. It takes: stream, and the connection keywords "
        "api_key, backoff_base, base_url, connection_limit, deadline, limits, max_retries, "
        "max_retry_wait, proxy, session, timeout, trust_env."
    )
    with pytest.raises(InvalidRequestError, match=f"^{re.escape(message)}$"):
        Dynaspark.prepare_chat(None, USER, None, {"temperature": 0.5})


async def test_image_form_carries_the_browser_headers_too() -> None:
    async with Emulator(require_browser_headers=True) as emu:
        pieces = Dynaspark.create_async_generator(
            "", USER, media=[PNG], base_url=emu.url, max_retries=0
        )
        assert await collect(pieces)
    assert emu.requests[0].file is not None


@pytest.mark.parametrize(
    ("model", "message"), [(5, "^model must be a string, not int\\.$"), ("gpt-9", None)]
)
def test_unknown_model_error_lists_the_models_and_aliases(
    model: object, message: str | None
) -> None:
    with pytest.raises(ModelNotSupportedError) as refused:
        Dynaspark.get_model(model)  # type: ignore[arg-type]
    if message is not None:
        assert re.search(message, str(refused.value))
        return
    models = ", ".join(Dynaspark.models)
    first_alias, first_model = next(iter(Dynaspark.model_aliases.items()))
    assert f"does not support model 'gpt-9'. Models: {models}. " in str(refused.value)
    assert f"Aliases: {first_alias} -> {first_model}, " in str(refused.value)


async def test_streamed_web_form_chat_is_the_whole_answer_in_one_piece(emu: Emulator) -> None:
    async with AsyncClient(base_url=emu.url, max_retries=0) as client:
        async with asyncio.timeout(10):
            stream = await client.chat.completions.create(
                messages=USER, stream=True, provider="web"
            )
            pieces = [c.choices[0].delta.content async for c in stream]
    text = answer_for("gemini-1.5-flash", "hello")
    assert [p for p in pieces if p] == [text]
    assert [r.method for r in emu.requests] == ["POST"]
