"""Every input has a bound: over it, a 400 in OpenAI's shape naming the bound and setting."""

import io
import json

from aiodynaspark.testing import Emulator
from support.gateway import GatewayFactory, assert_openai_error, fetch

PNG_URI = "data:image/png;base64,iVBORw0KGgo="


def _chat(messages: list[dict[str, object]], **extra: object) -> dict[str, object]:
    return {"model": "gemini-2.0-flash", "messages": messages, **extra}


async def _post(url: str, body: object) -> dict[str, object]:
    answer = await fetch(
        "POST",
        url + "/v1/chat/completions",
        data=io.BytesIO(json.dumps(body).encode()),
        headers={"content-type": "application/json"},
    )
    return assert_openai_error(answer, 400)


async def test_too_many_messages_are_refused_naming_the_setting(
    gateway: str, emu: Emulator
) -> None:
    error = await _post(gateway, _chat([{"role": "user", "content": "hi"}] * 1001))
    assert error["code"] == "limit_exceeded"
    assert "max_messages" in error["message"]
    assert "AIODYNASPARK_MAX_MESSAGES" in error["message"]
    assert emu.requests == []


async def test_a_flood_of_tiny_messages_is_refused_before_it_is_all_parsed(
    gateway: str, emu: Emulator
) -> None:
    error = await _post(gateway, _chat([{"role": "user", "content": "a"}] * 200_000))
    assert "max_messages" in error["message"]
    assert "more than 1,000" in error["message"]


async def test_a_flood_of_invalid_messages_is_counted_before_validation(gateway: str) -> None:
    error = await _post(gateway, _chat([1] * 200_000))  # type: ignore[list-item]
    assert "200,000 messages" in error["message"]


async def test_max_messages_can_be_raised(start_gateway: GatewayFactory) -> None:
    async with start_gateway(max_messages=2000) as url:
        body = _chat([{"role": "user", "content": "hi"}] * 1500)
        answer = await fetch("POST", url + "/v1/chat/completions", json=body)
    assert answer.status == 200


async def test_too_many_parts_in_one_message_are_refused(gateway: str) -> None:
    parts = [{"type": "text", "text": "a"}] * 101
    error = await _post(gateway, _chat([{"role": "user", "content": parts}]))
    assert "max_content_parts" in error["message"]
    assert error["param"] == "messages[0].content"


async def test_too_much_text_is_refused(start_gateway: GatewayFactory) -> None:
    async with start_gateway(max_text_chars=100) as url:
        error = await _post(url, _chat([{"role": "user", "content": "x" * 101}]))
    assert "max_text_chars" in error["message"]


async def test_image_parts_are_counted_before_any_fetch(
    start_gateway: GatewayFactory, emu: Emulator
) -> None:
    # 192.0.2.0/24 is reserved for documentation: nothing answers there, nothing is fetched.
    parts = [{"type": "image_url", "image_url": {"url": "http://192.0.2.1/a.png"}}] * 2
    async with start_gateway(allow_remote_images=True) as url:
        error = await _post(url, _chat([{"role": "user", "content": parts}]))
    assert "max_image_parts" in error["message"]
    assert emu.requests == []


async def test_long_model_name_is_refused(gateway: str) -> None:
    error = await _post(gateway, {**_chat([{"role": "user", "content": "hi"}]), "model": "m" * 201})
    assert "max_model_chars" in error["message"]
    assert len(error["message"]) < 300  # the name is not echoed back whole


async def test_long_image_prompt_is_refused(start_gateway: GatewayFactory) -> None:
    async with start_gateway(max_text_chars=50) as url:
        answer = await fetch("POST", url + "/v1/images/generations", json={"prompt": "p" * 51})
    assert "max_text_chars" in assert_openai_error(answer, 400)["message"]
