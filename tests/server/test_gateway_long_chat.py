"""Conversations too long for the REST API's URL, through the gateway as OpenAI tools send them.

The gateway goes by the web form with the whole conversation and says so in headers
(``x-aiodynaspark-stream: whole``, ``x-aiodynaspark-dropped-params``); a stream answered whole
keeps its connection alive with comments; ``x-aiodynaspark-truncation: auto`` (or the
Responses API's ``truncation: "auto"``) drops the oldest turns so the rest streams.
"""

import asyncio

import aiohttp
import openai
import pytest

from aiodynaspark.testing import Emulator, Fault
from support.gateway import RAW_TIMEOUT, GatewayFactory, fetch, sdk

TIMEOUT = 15.0
LONG = [
    {"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i} " + "x" * 1000}
    for i in range(100)
]  # about 100 KB
LAST = {"role": "user", "content": "and now?"}


async def test_long_streamed_conversation_is_answered(
    client: openai.AsyncOpenAI, emu: Emulator
) -> None:
    async with asyncio.timeout(TIMEOUT):
        stream = await client.chat.completions.create(
            model="gemini-2.0-flash",
            messages=LONG,  # type: ignore[arg-type]
            stream=True,
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text
    assert [r.method for r in emu.requests] == ["POST"]


async def test_a_long_stream_says_it_arrives_whole_and_which_options_it_dropped(
    client: openai.AsyncOpenAI, emu: Emulator
) -> None:
    async with asyncio.timeout(TIMEOUT):
        raw = await client.chat.completions.with_raw_response.create(
            model="gemini-2.0-flash",
            messages=LONG,  # type: ignore[arg-type]
            stream=True,
            temperature=0,
            seed=3,
        )
        chunks = [chunk async for chunk in raw.parse()]
    assert raw.headers["x-aiodynaspark-stream"] == "whole"
    assert raw.headers["x-aiodynaspark-dropped-params"] == "seed,temperature"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert [r.method for r in emu.requests] == ["POST"]


async def test_a_short_stream_has_no_long_chat_headers(client: openai.AsyncOpenAI) -> None:
    async with asyncio.timeout(TIMEOUT):
        raw = await client.chat.completions.with_raw_response.create(
            model="gemini-2.0-flash", messages=[LAST], stream=True, temperature=0
        )
        assert [chunk async for chunk in raw.parse()]
    assert "x-aiodynaspark-stream" not in raw.headers
    assert "x-aiodynaspark-dropped-params" not in raw.headers


async def test_a_long_whole_answer_names_the_options_it_dropped(
    client: openai.AsyncOpenAI,
) -> None:
    async with asyncio.timeout(TIMEOUT):
        raw = await client.chat.completions.with_raw_response.create(
            model="gemini-2.0-flash",
            messages=LONG,  # type: ignore[arg-type]
            temperature=0.5,
        )
    assert raw.headers["x-aiodynaspark-dropped-params"] == "temperature"
    assert raw.parse().choices[0].message.content


async def test_a_stream_answered_whole_sends_keep_alive_comments_while_it_waits(
    start_gateway: GatewayFactory, emu: Emulator
) -> None:
    emu.latency = 0.5  # the web form thinks; comments come every 0.02 s meanwhile
    async with (
        start_gateway(stream_keep_alive=0.02) as root,
        aiohttp.ClientSession(timeout=RAW_TIMEOUT) as session,
        session.post(
            f"{root}/v1/chat/completions", json={"messages": LONG, "stream": True}
        ) as response,
    ):
        body = (await response.read()).decode()
    assert response.headers["x-aiodynaspark-stream"] == "whole"
    before_answer = body.split("data: ", 1)[0]
    assert before_answer.count(": keep-alive\n\n") >= 2
    assert body.endswith("data: [DONE]\n\n")


async def test_a_stream_answered_whole_whose_web_form_fails_ends_with_an_error_event(
    client: openai.AsyncOpenAI, emu: Emulator
) -> None:
    emu.push(Fault.missing_response())
    async with asyncio.timeout(TIMEOUT):
        raw = await client.chat.completions.with_raw_response.create(
            model="gemini-2.0-flash",
            messages=LONG,  # type: ignore[arg-type]
            stream=True,
        )
        assert raw.headers["x-aiodynaspark-stream"] == "whole"
        with pytest.raises(openai.APIError):
            _ = [chunk async for chunk in raw.parse()]


async def test_truncation_header_drops_the_oldest_turns_and_streams_from_the_rest_api(
    client: openai.AsyncOpenAI, emu: Emulator
) -> None:
    async with asyncio.timeout(TIMEOUT):
        raw = await client.chat.completions.with_raw_response.create(
            model="gemini-2.0-flash",
            messages=[{"role": "system", "content": "Be brief."}, *LONG, LAST],  # type: ignore[list-item]
            stream=True,
            temperature=0,
            extra_headers={"x-aiodynaspark-truncation": "auto"},
        )
        assert [chunk async for chunk in raw.parse()]
    assert "x-aiodynaspark-stream" not in raw.headers
    [request] = emu.requests
    assert (request.method, request.query["temperature"]) == ("GET", "0.0")
    assert request.query["system"] == "Be brief."
    assert "turn 0 " not in request.query["user_input"]
    assert "turn 99 " in request.query["user_input"]


async def test_an_unknown_truncation_header_is_a_400(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="truncation must be 'auto' or 'disabled'"):
        async with asyncio.timeout(TIMEOUT):
            await client.chat.completions.create(
                model="gemini-2.0-flash",
                messages=[LAST],
                extra_headers={"x-aiodynaspark-truncation": "newest"},
            )


async def test_refuse_setting_answers_a_long_chat_with_options_400_before_any_request(
    start_gateway: GatewayFactory, emu: Emulator
) -> None:
    async with start_gateway(long_prompts="refuse") as root, sdk(root) as refusing:
        with pytest.raises(openai.BadRequestError, match="keeps temperature"):
            async with asyncio.timeout(TIMEOUT):
                await refusing.chat.completions.create(
                    model="gemini-2.0-flash",
                    messages=LONG,  # type: ignore[arg-type]
                    temperature=0.5,
                )
    assert emu.requests == []


async def test_responses_truncation_auto_streams_the_newest_items(
    client: openai.AsyncOpenAI, emu: Emulator
) -> None:
    async with asyncio.timeout(TIMEOUT):
        raw = await client.responses.with_raw_response.create(
            input=[*LONG, LAST],  # type: ignore[list-item]
            instructions="Be brief.",
            truncation="auto",
            stream=True,
        )
        events = [event async for event in raw.parse()]
    assert events[-1].type == "response.completed"
    assert events[-1].response.truncation == "auto"
    assert "x-aiodynaspark-stream" not in raw.headers
    assert [r.method for r in emu.requests] == ["GET"]


async def test_responses_without_truncation_go_whole_and_say_what_they_dropped(
    client: openai.AsyncOpenAI, emu: Emulator
) -> None:
    async with asyncio.timeout(TIMEOUT):
        raw = await client.responses.with_raw_response.create(
            input=[*LONG, LAST],  # type: ignore[list-item]
            temperature=0.3,
            stream=True,
        )
        events = [event async for event in raw.parse()]
    assert events[-1].type == "response.completed"
    assert raw.headers["x-aiodynaspark-stream"] == "whole"
    assert raw.headers["x-aiodynaspark-dropped-params"] == "temperature"
    assert [r.method for r in emu.requests] == ["POST"]


async def test_messages_api_names_the_options_a_long_chat_dropped(gateway: str) -> None:
    body = {
        "model": "gemini-2.0-flash",
        "max_tokens": 100,
        "temperature": 0.2,
        "messages": [*LONG[:-1]],
    }
    async with (
        aiohttp.ClientSession(timeout=RAW_TIMEOUT) as session,
        session.post(f"{gateway}/v1/messages", json=body) as response,
    ):
        assert response.status == 200
        assert response.headers["x-aiodynaspark-dropped-params"] == "temperature"


async def test_a_page_on_another_origin_may_send_truncation_and_read_the_notice(
    start_gateway: GatewayFactory,
) -> None:
    origin = {"Origin": "https://chat.example"}
    async with start_gateway(cors_origins=["https://chat.example"]) as root:
        preflight = await fetch(
            "OPTIONS",
            f"{root}/v1/chat/completions",
            headers={
                **origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,x-aiodynaspark-truncation",
            },
        )
        answer = await fetch(
            "POST",
            f"{root}/v1/chat/completions",
            headers=origin,
            json={"messages": LONG, "stream": True, "temperature": 0.1},
        )
    assert preflight.status == 200, preflight.body
    exposed = answer.headers["access-control-expose-headers"].lower()
    assert "x-aiodynaspark-stream" in exposed
    assert "x-aiodynaspark-dropped-params" in exposed
