"""The emulator plays a model: scripted replies and a reply function, on both endpoints."""

import asyncio
import json

import aiohttp

from aiodynaspark.testing import ChatTurn, Emulator, Fault, answer_for
from support.emulator_http import TIMEOUT

MODEL = "gemini-2.0-flash"


async def _rest(session: aiohttp.ClientSession, url: str, **params: str) -> dict[str, object]:
    query = {"user_input": "Hi", "model": MODEL, **params}
    async with session.get(f"{url}/api/generate_response", params=query) as response:
        assert response.status == 200
        body: dict[str, object] = await response.json()
        return body


async def _form(session: aiohttp.ClientSession, url: str, prompt: str = "Hi") -> object:
    form = aiohttp.FormData({"user_input": prompt, "ai_model": MODEL})
    async with session.post(f"{url}/generate_response", data=form) as response:
        assert response.status == 200
        return json.loads(await response.text())["response"]


async def test_pushed_replies_answer_chat_requests_in_order(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push_reply('{"tool_calls": []}', "second")
    async with asyncio.timeout(TIMEOUT):
        assert (await _rest(session, emu.url))["response"] == '{"tool_calls": []}'
        assert await _form(session, emu.url) == "second"
        assert await _form(session, emu.url) == answer_for(MODEL, "Hi")


async def test_a_scripted_reply_is_not_wrapped_in_json_mode(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push_reply('{"content": "hello"}')
    async with asyncio.timeout(TIMEOUT):
        body = await _rest(session, emu.url, json="true")
    assert body["response"] == '{"content": "hello"}'


async def test_a_faulted_request_does_not_take_a_reply(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.status(500))
    emu.push_reply("kept")
    async with asyncio.timeout(TIMEOUT):
        async with session.get(
            f"{emu.url}/api/generate_response", params={"user_input": "Hi"}
        ) as response:
            assert response.status == 500
        assert (await _rest(session, emu.url))["response"] == "kept"


async def test_a_scripted_reply_streams_as_pieces(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push_reply('{"content": "one two three"}')
    query = {"user_input": "Hi", "stream": "true"}
    async with asyncio.timeout(TIMEOUT):
        async with session.get(f"{emu.url}/api/generate_response", params=query) as response:
            text = await response.text()
    pieces = [
        json.loads(line[6:])["choices"][0]["delta"]["content"]
        for line in text.splitlines()
        if line.startswith("data: {")
    ]
    assert len(pieces) > 1
    assert "".join(pieces) == '{"content": "one two three"}'


async def test_reply_function_sees_the_prompt_and_system(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    turns: list[ChatTurn] = []

    def reply(turn: ChatTurn) -> str:
        turns.append(turn)
        return turn.text.upper()

    emu.reply_with(reply)
    async with asyncio.timeout(TIMEOUT):
        body = await _rest(session, emu.url, system="Be brief", json="true")
        web = await _form(session, emu.url, "web prompt")
    assert body["response"] == "BE BRIEF\nHI"
    assert web == "WEB PROMPT"
    assert turns == [
        ChatTurn("rest", MODEL, "Hi", "Be brief", True),
        ChatTurn("web", MODEL, "web prompt"),
    ]


async def test_reply_function_returning_none_gives_the_usual_answer(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.reply_with(lambda turn: None)
    async with asyncio.timeout(TIMEOUT):
        assert await _form(session, emu.url) == answer_for(MODEL, "Hi")


async def test_reset_forgets_scripted_replies(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push_reply("scripted")
    emu.reply_with(lambda turn: "function")
    emu.reset()
    async with asyncio.timeout(TIMEOUT):
        assert await _form(session, emu.url) == answer_for(MODEL, "Hi")
