"""Tests of the Dynaspark emulator itself, with raw aiohttp over real sockets."""

import asyncio
import inspect
import io
import json
import math
import os
import signal
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from multidict import CIMultiDictProxy

import aiodynaspark.testing
from aiodynaspark.cli import main as cli_main
from aiodynaspark.testing import (
    IMAGE_MODELS,
    VOICES,
    WEB_MODELS,
    Emulator,
    Fault,
    RecordedRequest,
    answer_for,
)

TIMEOUT = 5.0
PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)
JPEG = b"\xff\xd8\xff\xe0" + bytes(40)
GIF = b"GIF89a" + bytes(40)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(40)
MODEL = "gemini-2.0-flash"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    emulator = Emulator()
    async with asyncio.timeout(TIMEOUT):
        await emulator.start()
    try:
        yield emulator
    finally:
        async with asyncio.timeout(TIMEOUT):
            await emulator.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT))
    try:
        yield client
    finally:
        await client.close()


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


# The web form endpoint.


async def test_web_form_answers_json_served_as_html(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    async with asyncio.timeout(TIMEOUT):
        async with session.post(f"{emu.url}/generate_response", data=web_form()) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
            body = json.loads(await resp.text())
    assert body == {"response": answer_for(MODEL, "Hello there")}


async def test_web_form_accepts_urlencoded_body(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    fields = {"user_input": "Hi", "ai_model": "gemini-1.5-flash-8b"}
    async with asyncio.timeout(TIMEOUT):
        async with session.post(f"{emu.url}/generate_response", data=fields) as resp:
            body = json.loads(await resp.text())
    assert body == {"response": "[gemini-1.5-flash-8b] Hi"}
    assert emu.requests[-1].form == fields


@pytest.mark.parametrize(
    ("image", "kind"), [(PNG, "png"), (JPEG, "jpeg"), (GIF, "gif"), (WEBP, "webp")]
)
async def test_web_form_describes_the_image_it_received(
    emu: Emulator, session: aiohttp.ClientSession, image: bytes, kind: str
) -> None:
    async with asyncio.timeout(TIMEOUT):
        async with session.post(f"{emu.url}/generate_response", data=web_form(image=image)) as resp:
            body = json.loads(await resp.text())
    assert body["response"] == f"[{MODEL}] Hello there [image {kind} {len(image)} bytes]"
    uploaded = emu.requests[-1].file
    assert uploaded is not None
    assert (uploaded.field_name, uploaded.filename, uploaded.data) == ("file", "picture.bin", image)
    assert uploaded.content_type == "image/png"


async def test_web_form_accepts_a_twenty_megabyte_image(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    image = PNG + bytes(20 * 1024 * 1024)
    async with asyncio.timeout(TIMEOUT):
        data = web_form(image=io.BytesIO(image))
        async with session.post(f"{emu.url}/generate_response", data=data) as resp:
            body = json.loads(await resp.text())
    assert body["response"].endswith(f"[image png {len(image)} bytes]")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (web_form(ai_model="gpt-4o"), "Invalid model: gpt-4o"),
        (web_form(user_input=None), "user_input"),
        (web_form(user_input="   "), "user_input"),
        (web_form(ai_model=None), "ai_model"),
        (web_form(image=b"%PDF-1.7 not an image"), "JPEG, PNG, GIF and WEBP"),
    ],
)
async def test_web_form_refuses_invalid_fields(
    emu: Emulator, session: aiohttp.ClientSession, data: aiohttp.FormData, problem: str
) -> None:
    async with asyncio.timeout(TIMEOUT):
        async with session.post(f"{emu.url}/generate_response", data=data) as resp:
            assert resp.status == 400
            body = await resp.json(content_type=None)
    assert problem in body["error"]


async def test_web_form_refuses_two_files(emu: Emulator, session: aiohttp.ClientSession) -> None:
    data = web_form(image=PNG)
    data.add_field("file", GIF, filename="second.gif", content_type="image/gif")
    async with asyncio.timeout(TIMEOUT):
        async with session.post(f"{emu.url}/generate_response", data=data) as resp:
            assert resp.status == 400
            assert "one file" in (await resp.json())["error"]


async def test_web_form_refuses_a_json_body(emu: Emulator, session: aiohttp.ClientSession) -> None:
    payload = {"user_input": "Hi", "ai_model": MODEL}
    async with asyncio.timeout(TIMEOUT):
        async with session.post(f"{emu.url}/generate_response", json=payload) as resp:
            assert resp.status == 400
            assert "multipart/form-data" in (await resp.json())["error"]


# The REST chat endpoint.


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


# The image endpoints.


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


# The health page.


async def test_status_is_ok_and_never_faulted(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.status(500))
    async with asyncio.timeout(TIMEOUT):
        async with session.get(f"{emu.url}/status") as resp:
            assert (resp.status, await resp.json()) == (200, {"status": "ok", "emulator": True})
        status, _, _ = await chat(session, emu)
    assert status == 500  # the queued fault was left for the next service request


# Faults.


@pytest.mark.parametrize(
    ("body_type", "content_type", "expected"),
    [
        ("json", "application/json", '{"error": "Backend exploded"}'),
        ("text", "text/plain", "Backend exploded"),
        ("html", "text/html", "<title>Backend exploded</title>"),
    ],
)
async def test_status_fault_answers_with_its_code_body_and_headers(
    emu: Emulator,
    session: aiohttp.ClientSession,
    body_type: str,
    content_type: str,
    expected: str,
) -> None:
    emu.push(
        Fault.status(502, "Backend exploded", body_type=body_type, headers={"x-trace": "t1"})  # type: ignore[arg-type]
    )
    async with asyncio.timeout(TIMEOUT):
        async with session.post(f"{emu.url}/generate_response", data=web_form()) as resp:
            assert (resp.status, resp.content_type) == (502, content_type)
            assert resp.headers["x-trace"] == "t1"
            assert expected in await resp.text()


async def test_status_fault_message_defaults_to_the_status_phrase(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.status(418))
    async with asyncio.timeout(TIMEOUT):
        status, body, _ = await chat(session, emu)
    assert (status, body) == (418, {"error": "I'm a Teapot"})


async def test_cloudflare_fault_is_a_challenge_page(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.cloudflare())
    async with asyncio.timeout(TIMEOUT):
        async with session.post(f"{emu.url}/generate_response", data=web_form()) as resp:
            assert (resp.status, resp.content_type) == (403, "text/html")
            assert resp.headers["server"] == "cloudflare"
            assert resp.headers["cf-mitigated"] == "challenge"
            assert resp.headers["cf-ray"]
            assert "<title>Just a moment...</title>" in await resp.text()


async def test_waking_fault_is_a_503_html_page(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.waking())
    async with asyncio.timeout(TIMEOUT):
        async with session.get(f"{emu.url}/api/generate_response", params={"user_input": "x"}) as r:
            assert (r.status, r.content_type) == (503, "text/html")
            assert r.headers["x-render-routing"] == "hibernate-wake-error"
            assert "Service Unavailable" in await r.text()


async def test_rate_limited_fault_carries_retry_after_and_quota_headers(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.rate_limited(1.2, reset_in=30), Fault.rate_limited(None))
    async with asyncio.timeout(TIMEOUT):
        first = await chat(session, emu)
        second = await chat(session, emu)
    status, body, headers = first
    assert status == 429
    assert "Rate limit exceeded" in str(body["error"])
    assert headers["Retry-After"] == "2"
    assert headers["X-RateLimit-Limit"] == "100"
    assert headers["X-RateLimit-Remaining"] == "0"
    assert abs(int(headers["X-RateLimit-Reset"]) - (time.time() + 30)) <= 2
    assert second[0] == 429
    assert "Retry-After" not in second[2]
    assert "X-RateLimit-Reset" not in second[2]


async def test_not_json_fault_is_a_200_html_page(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.not_json())
    async with asyncio.timeout(TIMEOUT):
        async with session.get(f"{emu.url}/api/generate_response", params={"user_input": "x"}) as r:
            assert r.status == 200
            text = await r.text()
    assert text.lstrip().startswith("<!DOCTYPE html>")
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


async def test_missing_response_fault_is_json_without_response(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.missing_response())
    async with asyncio.timeout(TIMEOUT):
        async with session.post(f"{emu.url}/generate_response", data=web_form()) as resp:
            assert resp.status == 200
            body = json.loads(await resp.text())
    assert isinstance(body, dict)
    assert "response" not in body


async def test_drop_fault_disconnects_without_an_answer(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.drop())
    async with asyncio.timeout(TIMEOUT):
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await session.post(f"{emu.url}/generate_response", data=web_form())
        async with session.post(f"{emu.url}/generate_response", data=web_form()) as resp:
            assert resp.status == 200


async def test_drop_fault_on_get_is_retried_once_by_aiohttp(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    # aiohttp silently resends an idempotent request once after a disconnect,
    # so one dropped GET reaches the emulator twice.
    emu.push(Fault.drop(), Fault.drop())
    async with asyncio.timeout(TIMEOUT):
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await chat(session, emu)
    assert len(emu.requests) == 2


async def test_hang_fault_answers_normally_after_its_wait(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.hang(0.3))
    start = time.monotonic()
    async with asyncio.timeout(TIMEOUT):
        status, _, _ = await chat(session, emu)
    assert status == 200
    assert time.monotonic() - start >= 0.3


async def test_hang_fault_trips_a_client_timeout(emu: Emulator) -> None:
    emu.push(Fault.hang(30))
    async with (
        asyncio.timeout(TIMEOUT),
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.2)) as client,
    ):
        with pytest.raises(asyncio.TimeoutError):
            await chat(client, emu)


async def test_close_cancels_a_hanging_handler_at_once(session: aiohttp.ClientSession) -> None:
    emu = Emulator()
    async with asyncio.timeout(TIMEOUT):
        await emu.start()
        emu.push(Fault.hang(30))
        pending = asyncio.ensure_future(chat(session, emu))
        for _ in range(200):  # let the request reach its hang
            if emu.requests:
                break
            await asyncio.sleep(0.01)
        start = time.monotonic()
        await emu.close()
        closed_in = time.monotonic() - start
        with pytest.raises(aiohttp.ClientError):
            await pending
    assert closed_in < 1.0


async def test_fault_delay_waits_before_the_fault_acts(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.status(500, delay=0.3))
    start = time.monotonic()
    async with asyncio.timeout(TIMEOUT):
        status, _, _ = await chat(session, emu)
    assert status == 500
    assert time.monotonic() - start >= 0.3


async def test_cut_stream_sends_some_events_then_breaks_without_done(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.cut_stream(after=2))
    params = {"user_input": "one two three four", "stream": "true"}
    chunks: list[bytes] = []
    async with asyncio.timeout(TIMEOUT):
        async with session.get(f"{emu.url}/api/generate_response", params=params) as resp:
            assert resp.status == 200
            with pytest.raises(aiohttp.ClientPayloadError):
                await collect(resp, chunks)
    payloads = sse_payloads(b"".join(chunks).decode())
    assert len(payloads) == 2
    assert "[DONE]" not in payloads


async def test_cut_stream_on_a_request_that_does_not_stream_drops_it(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.cut_stream())
    async with asyncio.timeout(TIMEOUT):
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await session.post(f"{emu.url}/generate_response", data=web_form())


async def test_none_in_the_queue_answers_normally(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(None, Fault.status(500), None)
    async with asyncio.timeout(TIMEOUT):
        statuses = [(await chat(session, emu))[0] for _ in range(4)]
    assert statuses == [200, 500, 200, 200]


async def test_faults_apply_to_image_generation(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.waking())
    async with asyncio.timeout(TIMEOUT):
        async with session.get(f"{emu.url}/api/generate_image", params={"user_input": "x"}) as r:
            assert r.status == 503


async def test_random_faults_follow_their_rate_and_seed(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    async def statuses() -> list[int]:
        return [(await chat(session, emu))[0] for _ in range(30)]

    async with asyncio.timeout(TIMEOUT):
        emu.fail_randomly(Fault.status(503), rate=0.5, seed=7)
        first = await statuses()
        emu.fail_randomly(Fault.status(503), rate=0.5, seed=7)
        second = await statuses()
        emu.fail_randomly(Fault.status(503), rate=0)
        off = await statuses()
    assert first == second
    assert first.count(503) > 5
    assert first.count(200) > 5
    assert off == [200] * 30


def test_fault_constructors_refuse_invalid_values() -> None:
    with pytest.raises(ValueError, match="status code"):
        Fault.status(42)
    with pytest.raises(ValueError, match="shape"):
        Fault.stream_shape("xml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="after"):
        Fault.cut_stream(-1)
    with pytest.raises(ValueError, match="delay"):
        Fault.drop(delay=-1)


# Rate limiting.


async def test_rate_limit_counts_down_then_refuses_with_retry_after(
    session: aiohttp.ClientSession,
) -> None:
    async with asyncio.timeout(TIMEOUT), Emulator(rate_limit=3, rate_window=60) as emu:
        answers = [await chat(session, emu) for _ in range(4)]
    remaining = [headers["X-RateLimit-Remaining"] for _, _, headers in answers]
    assert remaining == ["2", "1", "0", "0"]
    assert all(headers["X-RateLimit-Limit"] == "3" for _, _, headers in answers)
    status, body, headers = answers[3]
    assert status == 429
    assert "Rate limit exceeded" in str(body["error"])
    assert 59 <= int(headers["Retry-After"]) <= 60
    assert abs(int(headers["X-RateLimit-Reset"]) - (time.time() + 60)) <= 2
    assert "Retry-After" not in answers[0][2]


async def test_rate_limit_window_reopens_after_it_ends(session: aiohttp.ClientSession) -> None:
    async with asyncio.timeout(TIMEOUT), Emulator(rate_limit=1, rate_window=0.2) as emu:
        first = await chat(session, emu)
        refused = await chat(session, emu)
        await asyncio.sleep(0.25)
        again = await chat(session, emu)
    assert [first[0], refused[0], again[0]] == [200, 429, 200]


async def test_rate_limit_applies_to_the_web_form(session: aiohttp.ClientSession) -> None:
    async with asyncio.timeout(TIMEOUT), Emulator(rate_limit=1) as emu:
        statuses = []
        for _ in range(2):
            async with session.post(f"{emu.url}/generate_response", data=web_form()) as resp:
                statuses.append(resp.status)
                assert resp.headers["X-RateLimit-Limit"] == "1"
    assert statuses == [200, 429]


async def test_reset_clears_requests_faults_quota_and_ports(session: aiohttp.ClientSession) -> None:
    async with asyncio.timeout(TIMEOUT), Emulator(rate_limit=1) as emu:
        await chat(session, emu)
        emu.push(Fault.status(500))
        emu.fail_randomly(Fault.status(503), rate=1.0)
        emu.reset()
        assert (emu.requests, emu.peer_ports) == ([], set())
        status, _, headers = await chat(session, emu)
    assert status == 200
    assert headers["X-RateLimit-Remaining"] == "0"


# Hold and release.


async def test_hold_sends_the_first_event_then_waits_for_release(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.hold()
    params = {"user_input": "slow and steady", "stream": "true"}
    async with asyncio.timeout(TIMEOUT):
        async with session.get(f"{emu.url}/api/generate_response", params=params) as resp:
            first = await resp.content.readuntil(b"\n\n")
            assert sse_payloads(first.decode())
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):
                    await resp.content.readuntil(b"\n\n")
            emu.release()
            rest = await resp.content.read()
    assert sse_payloads(rest.decode())[-1] == "[DONE]"


# Recording, peer ports, latency, cold start.


async def test_requests_are_recorded_with_query_form_and_lowercase_headers(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    async with asyncio.timeout(TIMEOUT):
        async with session.get(
            f"{emu.url}/api/generate_response",
            params={"user_input": "Hi", "seed": "3"},
            headers={"X-Requested-With": "XMLHttpRequest"},
        ):
            pass
        async with session.post(f"{emu.url}/generate_response", data=web_form(image=PNG)):
            pass
    rest, form = emu.requests
    assert isinstance(rest, RecordedRequest)
    assert (rest.method, rest.path, rest.query) == (
        "GET",
        "/api/generate_response",
        {"user_input": "Hi", "seed": "3"},
    )
    assert rest.headers["x-requested-with"] == "XMLHttpRequest"
    assert rest.form == {} and rest.file is None
    assert rest.peer_port in emu.peer_ports
    assert (form.method, form.path, form.form) == (
        "POST",
        "/generate_response",
        {"user_input": "Hello there", "ai_model": MODEL},
    )
    assert form.file is not None and form.file.data == PNG
    assert rest.at <= form.at <= time.monotonic()


async def test_record_false_keeps_no_requests_but_counts_ports(
    session: aiohttp.ClientSession,
) -> None:
    async with asyncio.timeout(TIMEOUT), Emulator(record=False) as emu:
        await chat(session, emu)
        assert emu.requests == []
        assert len(emu.peer_ports) == 1


@pytest.mark.parametrize(("force_close", "connections"), [(False, 1), (True, 3)])
async def test_peer_ports_count_tcp_connections(
    emu: Emulator, force_close: bool, connections: int
) -> None:
    connector = aiohttp.TCPConnector(limit=1, force_close=force_close)
    async with asyncio.timeout(TIMEOUT), aiohttp.ClientSession(connector=connector) as client:
        for _ in range(3):
            await chat(client, emu)
    assert len(emu.peer_ports) == connections


async def test_latency_delays_every_answer(session: aiohttp.ClientSession) -> None:
    async with asyncio.timeout(TIMEOUT), Emulator(latency=0.15) as emu:
        start = time.monotonic()
        await chat(session, emu)
        await chat(session, emu)
        elapsed = time.monotonic() - start
        emu.latency = 0.0
        start = time.monotonic()
        await chat(session, emu)
        fast = time.monotonic() - start
    assert elapsed >= 0.3
    assert fast < 0.15


async def test_cold_start_delays_only_the_first_request(session: aiohttp.ClientSession) -> None:
    async with asyncio.timeout(TIMEOUT), Emulator(cold_start=0.3) as emu:
        start = time.monotonic()
        async with session.get(f"{emu.url}/status"):
            pass
        first = time.monotonic() - start
        start = time.monotonic()
        await chat(session, emu)
        second = time.monotonic() - start
    assert first >= 0.3
    assert second < 0.3


# Lifecycle, thread and command line.


async def test_url_and_start_guard_the_lifecycle() -> None:
    emu = Emulator()
    with pytest.raises(RuntimeError, match="not started"):
        _ = emu.url
    async with asyncio.timeout(TIMEOUT):
        await emu.start()
        try:
            assert emu.url.startswith("http://127.0.0.1:")
            with pytest.raises(RuntimeError, match="already started"):
                await emu.start()
        finally:
            await emu.close()
        await emu.close()


def test_run_in_thread_serves_synchronous_clients_and_stops() -> None:
    with Emulator.run_in_thread() as emu:
        emu.push(Fault.status(500))
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{emu.url}/api/generate_response?user_input=x", timeout=TIMEOUT)
        refused.value.close()
        with urllib.request.urlopen(f"{emu.url}/status", timeout=TIMEOUT) as resp:
            assert json.load(resp) == {"status": "ok", "emulator": True}
        url = emu.url
    assert [r.path for r in emu.requests] == ["/api/generate_response", "/status"]
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{url}/status", timeout=TIMEOUT)


def test_run_in_thread_hold_and_release_work_from_the_calling_thread() -> None:
    with Emulator.run_in_thread() as emu:
        emu.hold()
        url = f"{emu.url}/api/generate_response?user_input=a+b&stream=true"
        with urllib.request.urlopen(url, timeout=TIMEOUT) as resp:
            assert resp.readline().startswith(b"data: ")
            emu.release()
            rest = resp.read().decode()
    assert sse_payloads(rest)[-1] == "[DONE]"


def test_cli_reports_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with Emulator.run_in_thread() as emu:
        port = emu.url.rsplit(":", 1)[1]
        assert cli_main(["emulator", "--port", port]) == 1
    assert capsys.readouterr().err.startswith("error: Cannot listen on 127.0.0.1:")


def test_module_entry_point_serves_until_sigterm() -> None:
    src = str(Path(aiodynaspark.testing.__file__).resolve().parents[2])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])),
    }
    with subprocess.Popen(
        [sys.executable, "-m", "aiodynaspark.testing", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.startswith("Dynaspark emulator listening on http://127.0.0.1:")
            url = line.rsplit(" ", 1)[1].strip()
            with urllib.request.urlopen(f"{url}/status", timeout=TIMEOUT) as resp:
                assert resp.status == 200
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=TIMEOUT) == 0
        finally:
            if proc.poll() is None:
                proc.kill()


def test_public_names_are_exported() -> None:
    assert set(aiodynaspark.testing.__all__) >= {
        "Emulator",
        "Fault",
        "RecordedRequest",
        "answer_for",
        "WEB_MODELS",
        "IMAGE_MODELS",
        "VOICES",
    }
    assert math.isclose(Emulator().stream_delay, 0.0)


def test_every_emulator_keyword_is_an_option_of_its_command_line() -> None:
    from aiodynaspark.cli._servers import emulator as command

    options = {param.name: param for param in command.params}
    keywords = inspect.signature(Emulator).parameters
    for name, keyword in keywords.items():
        if name == "record":  # nobody can read a command-line emulator's records
            continue
        assert name in options, f"the emulator command has no option for {name}"
        # The port differs on purpose: a fixed default on the command line, the OS's choice
        # in tests.
        if keyword.default is not None and name != "port":
            assert options[name].default == keyword.default, name
