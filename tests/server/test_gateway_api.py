"""The gateway's routes through the official openai SDK: chat, streams, models, images, speech."""

import asyncio
import base64
import itertools
import json
import logging

import openai
import pytest

from aiodynaspark.testing import Emulator, answer_for
from support.gateway import fetch
from support.media import GIF, PNG, data_uri

CHAT_TIMEOUT = 10.0
MODEL = "gemini-2.0-flash"


async def test_chat_completion_returns_the_upstream_answer(
    client: openai.AsyncOpenAI,
) -> None:
    completion = await client.chat.completions.create(
        model="gemini-2.0-flash", messages=[{"role": "user", "content": "Hello"}]
    )
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == answer_for("gemini-2.0-flash", "Hello")
    assert completion.choices[0].finish_reason == "stop"


async def test_streamed_chat_joins_to_the_answer_and_ends_with_stop(
    client: openai.AsyncOpenAI,
) -> None:
    prompt = "Tell me three short things"
    stream = await client.chat.completions.create(
        model="gemini-1.5-flash", messages=[{"role": "user", "content": prompt}], stream=True
    )
    pieces: list[str] = []
    finish = []
    async for chunk in stream:
        assert chunk.object == "chat.completion.chunk"
        pieces.append(chunk.choices[0].delta.content or "")
        finish.append(chunk.choices[0].finish_reason)
    assert "".join(pieces) == answer_for("gemini-1.5-flash", prompt)
    assert len([p for p in pieces if p]) > 1  # forwarded as pieces, not one block
    assert finish[-1] == "stop"


async def test_stream_events_reach_the_client_before_the_upstream_finishes(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    emu.hold()  # the emulator sends its first event, then waits for release()
    stream = await client.chat.completions.create(
        model="gemini-1.5-flash",
        messages=[{"role": "user", "content": "one two three"}],
        stream=True,
    )
    iterator = stream.__aiter__()
    first = await asyncio.wait_for(anext(iterator), CHAT_TIMEOUT)
    assert first.choices[0].delta.content
    emu.release()
    rest = [chunk async for chunk in iterator]
    text = (first.choices[0].delta.content or "") + "".join(
        chunk.choices[0].delta.content or "" for chunk in rest
    )
    assert text == answer_for("gemini-1.5-flash", "one two three")


async def test_a_paced_stream_is_forwarded_event_by_event(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    # The gateway sends together only the events that are ready together; events the
    # upstream spaces out must reach the client spaced out, not held back and joined.
    emu.stream_delay = 0.15
    prompt = "one two three four"
    started = asyncio.get_running_loop().time()
    stream = await client.chat.completions.create(
        model="gemini-1.5-flash", messages=[{"role": "user", "content": prompt}], stream=True
    )
    arrivals: list[float] = []
    pieces: list[str] = []
    async with asyncio.timeout(CHAT_TIMEOUT):
        async for chunk in stream:
            if chunk.choices[0].delta.content:
                arrivals.append(asyncio.get_running_loop().time() - started)
                pieces.append(chunk.choices[0].delta.content)
    assert "".join(pieces) == answer_for("gemini-1.5-flash", prompt)
    assert len(arrivals) >= 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert all(gap > 0.05 for gap in gaps), gaps


async def test_raw_stream_is_sse_ending_with_done(gateway: str) -> None:
    body = {"messages": [{"role": "user", "content": "Hi"}], "stream": True}
    response = await fetch("POST", f"{gateway}/v1/chat/completions", json=body)
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"  # proxies must not hold events
    events = [e for e in response.text.split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events)
    assert events[-1] == "data: [DONE]"


async def test_stream_events_are_compact_json_with_every_piece_escaped(gateway: str) -> None:
    # Quotes, backslashes, control characters, non-ASCII and line separators, each in pieces
    # of their own: every event must be the one compact JSON form (non-ASCII as UTF-8, only
    # the characters JSON requires escaped) and carry its piece whole.
    prompt = 'say "hi" C:\\dir tab\there new\nline bell\x07 caf\u00e9 \U0001f600 \u2028 null'
    body = {"model": MODEL, "messages": [{"role": "user", "content": prompt}], "stream": True}
    response = await fetch("POST", f"{gateway}/v1/chat/completions", json=body)
    events = [event for event in response.body.split(b"\n\n") if event]
    assert events[-1] == b"data: [DONE]"
    chunks = []
    for event in events[:-1]:
        data = event.removeprefix(b"data: ")
        chunk = json.loads(data)
        assert json.dumps(chunk, ensure_ascii=False, separators=(",", ":")).encode() == data
        chunks.append(chunk)
    assert len(chunks) > 5  # piece by piece, so most events came from one template
    assert all(chunk.keys() == chunks[0].keys() for chunk in chunks)
    text = "".join(chunk["choices"][0]["delta"]["content"] or "" for chunk in chunks)
    assert text == answer_for(MODEL, prompt)


async def test_models_lists_the_chat_models(client: openai.AsyncOpenAI) -> None:
    models = await client.models.list()
    ids = [model.id for model in models.data]
    assert "gemini-1.5-flash" in ids
    assert "gemini-2.0-flash-lite" in ids
    assert (await client.models.retrieve("gemini-2.0-flash")).id == "gemini-2.0-flash"


async def test_image_part_as_data_uri_reaches_the_emulator_as_the_file(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    completion = await client.chat.completions.create(
        model="gemini-1.5-flash",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": data_uri(PNG)}},
                ],
            }
        ],
    )
    upload = emu.requests[-1].file
    assert upload is not None
    assert upload.data == PNG
    assert upload.content_type == "image/png"
    expected = answer_for("gemini-1.5-flash", "What is this?", PNG)
    assert completion.choices[0].message.content == expected


async def test_image_generation_answers_a_url_by_default(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    images = await client.images.generate(prompt="a red square", model="flux", size="256x128")
    assert images.data[0].url is not None
    assert images.data[0].url.startswith("http")
    assert images.data[0].b64_json is None
    query = emu.requests[-1].query
    assert (query["width"], query["height"]) == ("256", "128")


async def test_image_generation_answers_base64_on_request(client: openai.AsyncOpenAI) -> None:
    images = await client.images.generate(prompt="a red square", response_format="b64_json")
    assert images.data[0].b64_json is not None
    assert base64.b64decode(images.data[0].b64_json).startswith(b"\x89PNG")


async def test_speech_answers_mp3_bytes(client: openai.AsyncOpenAI) -> None:
    speech = await client.audio.speech.create(model="tts-1", voice="nova", input="Hello")
    assert speech.content.startswith(b"ID3")
    assert speech.response.headers["content-type"] == "audio/mpeg"


async def test_sampling_options_and_system_reach_the_rest_api(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    await client.chat.completions.create(
        model="gemini-2.0-flash",
        messages=[{"role": "user", "content": "Hi"}],
        temperature=0.5,
        top_p=0.9,
        seed=7,
        max_tokens=50,  # ignored, not refused
        user="someone",  # ignored, not refused
        extra_body={"system": "Be brief.", "stop": ["\n"], "stream_options": None},
    )
    query = emu.requests[-1].query
    assert emu.requests[-1].path == "/api/generate_response"
    assert query["temperature"] == "0.5"
    assert query["top_p"] == "0.9"
    assert query["seed"] == "7"
    assert query["system"] == "Be brief."
    assert "max_tokens" not in query


async def test_json_response_format_is_passed_on(emu: Emulator, client: openai.AsyncOpenAI) -> None:
    await client.chat.completions.create(
        messages=[{"role": "user", "content": "Hi"}],
        model="gemini-1.5-flash",
        response_format={"type": "json_object"},
    )
    assert emu.requests[-1].query["json"] == "true"


async def test_health_and_openapi_document_are_served(gateway: str) -> None:
    health = await fetch("GET", f"{gateway}/health")
    document = await fetch("GET", f"{gateway}/openapi.json")
    assert health.json() == {"status": "ok"}
    paths = document.json()["paths"]
    for path in (
        "/v1/models",
        "/v1/chat/completions",
        "/v1/images/generations",
        "/v1/audio/speech",
    ):
        assert path in paths


async def test_access_log_has_one_line_per_request_without_secrets(
    start_gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aiodynaspark.server.access")
    async with start_gateway(api_key="topsecret") as root:
        await fetch(
            "GET",
            f"{root}/v1/models?api_key=querysecret",
            headers={"Authorization": "Bearer topsecret"},
        )
        await fetch("GET", f"{root}/v1/models")
    lines = [r.getMessage() for r in caplog.records if r.name == "aiodynaspark.server.access"]
    assert len(lines) == 2
    assert '"GET /v1/models" 200' in lines[0]
    assert '"GET /v1/models" 401' in lines[1]
    assert not any("secret" in line for line in lines)


async def test_a_gif_part_is_accepted_like_any_supported_image(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    await client.chat.completions.create(
        model="gemini-1.5-flash",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "And this?"},
                    {"type": "image_url", "image_url": {"url": data_uri(GIF, "image/gif")}},
                ],
            }
        ],
    )
    upload = emu.requests[-1].file
    assert upload is not None
    assert upload.data == GIF
