"""The emulator's REST chat and speech endpoints: answers, parameters, keys, streams."""

import asyncio
import json
import time

import aiohttp
import pytest

from aiodynaspark.testing import VOICES, WEB_MODELS, Emulator, Fault, answer_for
from support.emulator_http import TIMEOUT, chat, sse_payloads


async def test_rest_answer_carries_model_and_word_count_usage(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    async with asyncio.timeout(TIMEOUT):
        status, body, headers = await chat(
            session, emu, user_input="one two three", system="Be terse"
        )
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    assert body == {
        "response": "[gemini-1.5-flash] one two three",
        "model": "gemini-1.5-flash",
        "usage": {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9},
    }
    assert emu.requests[-1].query["system"] == "Be terse"


@pytest.mark.parametrize("model", WEB_MODELS)
async def test_rest_answer_names_the_requested_model(
    emu: Emulator, session: aiohttp.ClientSession, model: str
) -> None:
    async with asyncio.timeout(TIMEOUT):
        _, body, _ = await chat(session, emu, model=model, user_input="Hi")
    assert (body["response"], body["model"]) == (answer_for(model, "Hi"), model)


async def test_rest_json_answer_is_a_json_object_text(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    async with asyncio.timeout(TIMEOUT):
        _, body, _ = await chat(session, emu, user_input="Hi", json="true")
    assert isinstance(body["response"], str)
    assert json.loads(body["response"]) == {"answer": answer_for("gemini-1.5-flash", "Hi")}


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"user_input": ""}, "user_input"),
        ({"model": "gpt-4o"}, "Invalid model: gpt-4o"),
        ({"temperature": "3.5"}, "temperature"),
        ({"temperature": "warm"}, "temperature"),
        ({"top_p": "-0.1"}, "top_p"),
        ({"presence_penalty": "2.5"}, "presence_penalty"),
        ({"frequency_penalty": "nan"}, "frequency_penalty"),
        ({"json": "yes"}, "json"),
        ({"stream": "True"}, "stream"),
        ({"private": "1"}, "private"),
        ({"seed": "1.5"}, "seed"),
        ({"model": "openai-audio", "voice": "robot"}, "voice"),
    ],
)
async def test_rest_refuses_invalid_parameters(
    emu: Emulator, session: aiohttp.ClientSession, params: dict[str, str], problem: str
) -> None:
    async with asyncio.timeout(TIMEOUT):
        status, body, _ = await chat(session, emu, **params)
    assert status == 400
    assert problem in str(body["error"])


async def test_rest_accepts_parameters_at_their_range_limits(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    limits = {
        "temperature": "3",
        "top_p": "0",
        "presence_penalty": "-2",
        "frequency_penalty": "2.0",
        "seed": "-7",
        "private": "false",
        "referrer": "tests",
    }
    async with asyncio.timeout(TIMEOUT):
        status, _, _ = await chat(session, emu, **limits)
    assert status == 200


@pytest.mark.parametrize("api_keys", [{"secret", "other"}, "secret"])
async def test_configured_api_keys_are_enforced(
    session: aiohttp.ClientSession, api_keys: set[str] | str
) -> None:
    async with asyncio.timeout(TIMEOUT), Emulator(api_keys=api_keys) as emu:
        missing = await chat(session, emu)
        wrong = await chat(session, emu, api_key="guess")
        right = await chat(session, emu, api_key="secret")
    assert (missing[0], missing[1]) == (401, {"error": "Invalid API key"})
    assert wrong[0] == 401
    assert right[0] == 200


async def test_any_api_key_is_accepted_when_none_is_configured(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    async with asyncio.timeout(TIMEOUT):
        status, _, _ = await chat(session, emu, api_key="whatever")
    assert status == 200


async def test_rest_stream_sends_openai_chunks_then_done(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    params = {"user_input": "tell me a story", "stream": "true"}
    async with asyncio.timeout(TIMEOUT):
        async with session.get(f"{emu.url}/api/generate_response", params=params) as resp:
            assert resp.headers["Content-Type"].startswith("text/event-stream")
            payloads = sse_payloads(await resp.text())
    assert payloads[-1] == "[DONE]"
    pieces = [json.loads(p)["choices"][0]["delta"]["content"] for p in payloads[:-1]]
    assert len(pieces) == 5
    assert "".join(pieces) == answer_for("gemini-1.5-flash", "tell me a story")


@pytest.mark.parametrize("shape", ["response", "text"])
async def test_stream_shape_fault_changes_the_event_payload(
    emu: Emulator, session: aiohttp.ClientSession, shape: str
) -> None:
    prompt = "first line\nsecond line"
    emu.push(Fault.stream_shape(shape))  # type: ignore[arg-type]
    params = {"user_input": prompt, "stream": "true"}
    async with asyncio.timeout(TIMEOUT):
        async with session.get(f"{emu.url}/api/generate_response", params=params) as resp:
            payloads = sse_payloads(await resp.text())
    assert payloads[-1] == "[DONE]"
    if shape == "response":
        pieces = [json.loads(p)["response"] for p in payloads[:-1]]
    else:
        pieces = payloads[:-1]
    assert "".join(pieces) == answer_for("gemini-1.5-flash", prompt)


async def test_stream_events_are_paced_by_stream_delay(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.stream_delay = 0.05
    params = {"user_input": "a b c", "stream": "true"}  # 4 pieces and [DONE]: 4 gaps
    start = time.monotonic()
    async with asyncio.timeout(TIMEOUT):
        async with session.get(f"{emu.url}/api/generate_response", params=params) as resp:
            await resp.read()
    assert time.monotonic() - start >= 0.2


@pytest.mark.parametrize("voice", VOICES)
async def test_speech_is_mp3_bytes_carrying_the_text_and_voice(
    emu: Emulator, session: aiohttp.ClientSession, voice: str
) -> None:
    params = {"user_input": "Say hello", "model": "openai-audio", "voice": voice}
    async with asyncio.timeout(TIMEOUT):
        async with session.get(f"{emu.url}/api/generate_response", params=params) as resp:
            assert resp.content_type == "audio/mpeg"
            audio = await resp.read()
    assert audio.startswith(b"ID3")
    assert b"Say hello" in audio
    assert voice.encode() in audio
    assert 1000 <= len(audio) <= 4096
