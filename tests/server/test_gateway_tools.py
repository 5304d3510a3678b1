"""Tools, structured answers, stop, max_tokens and usage through the gateway, with the official
openai SDK over a real socket and the emulator playing the model."""

import asyncio
import json

import openai
import pytest
from pydantic import BaseModel

from aiodynaspark.testing import Emulator
from support.gateway import SDK_TIMEOUT, fetch
from support.tools import WEATHER, WEATHER_CALL, WEATHER_QUESTION

MODEL = "gemini-2.0-flash"


class Person(BaseModel):
    name: str
    age: int


async def test_sdk_gets_a_tool_call(client: openai.AsyncOpenAI, emu: Emulator) -> None:
    emu.push_reply(WEATHER_CALL)
    async with asyncio.timeout(SDK_TIMEOUT):
        done = await client.chat.completions.create(
            model=MODEL,
            messages=WEATHER_QUESTION,  # type: ignore[arg-type]
            tools=[WEATHER],  # type: ignore[list-item]
        )
    [choice] = done.choices
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls or []
    assert call.type == "function" and call.id.startswith("call_")
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments) == {"city": "Oslo"}  # type: ignore[union-attr]


async def test_sdk_parse_reads_the_answer_into_the_model(
    client: openai.AsyncOpenAI, emu: Emulator
) -> None:
    emu.push_reply('{"name": "Ada", "age": 36}')
    async with asyncio.timeout(SDK_TIMEOUT):
        done = await client.chat.completions.parse(
            model=MODEL,
            messages=WEATHER_QUESTION,  # type: ignore[arg-type]
            response_format=Person,
        )
    assert done.choices[0].message.parsed == Person(name="Ada", age=36)


async def test_sdk_streams_a_tool_call_as_deltas(client: openai.AsyncOpenAI, emu: Emulator) -> None:
    emu.push_reply(WEATHER_CALL)
    async with asyncio.timeout(SDK_TIMEOUT):
        async with client.chat.completions.stream(
            model=MODEL,
            messages=WEATHER_QUESTION,  # type: ignore[arg-type]
            tools=[WEATHER],  # type: ignore[list-item]
        ) as stream:
            async for _ in stream:
                pass
            done = await stream.get_final_completion()
    [call] = done.choices[0].message.tool_calls or []
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Oslo"}
    assert done.choices[0].finish_reason == "tool_calls"


async def test_sdk_stream_with_include_usage_ends_with_the_usage(
    client: openai.AsyncOpenAI,
) -> None:
    async with asyncio.timeout(SDK_TIMEOUT):
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=WEATHER_QUESTION,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0


async def test_usage_is_never_null(gateway: str) -> None:
    body = {"model": MODEL, "messages": WEATHER_QUESTION}
    answer = await fetch("POST", f"{gateway}/v1/chat/completions", json=body)
    usage = answer.json()["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


async def test_stop_and_max_tokens_reach_the_answer(
    client: openai.AsyncOpenAI, emu: Emulator
) -> None:
    emu.push_reply("one two. three", "a" * 40)
    async with asyncio.timeout(SDK_TIMEOUT):
        stopped = await client.chat.completions.create(
            model=MODEL,
            messages=WEATHER_QUESTION,  # type: ignore[arg-type]
            stop=["."],
        )
        cut = await client.chat.completions.create(
            model=MODEL,
            messages=WEATHER_QUESTION,  # type: ignore[arg-type]
            max_tokens=3,
        )
    assert (stopped.choices[0].message.content, stopped.choices[0].finish_reason) == (
        "one two",
        "stop",
    )
    assert (cut.choices[0].message.content, cut.choices[0].finish_reason) == ("a" * 12, "length")


async def test_a_broken_answer_after_repair_is_a_502_invalid_model_output(
    client: openai.AsyncOpenAI, emu: Emulator
) -> None:
    emu.push_reply("prose", "more prose")
    with pytest.raises(openai.InternalServerError) as caught:
        async with asyncio.timeout(SDK_TIMEOUT):
            await client.chat.completions.create(
                model=MODEL,
                messages=WEATHER_QUESTION,  # type: ignore[arg-type]
                tools=[WEATHER],  # type: ignore[list-item]
                tool_choice="required",
            )
    assert caught.value.status_code == 502
    assert caught.value.code == "invalid_model_output"


async def test_an_agent_loop_sends_the_tool_result_back(
    client: openai.AsyncOpenAI, emu: Emulator
) -> None:
    emu.push_reply(WEATHER_CALL, '{"content": "It is 12 C with rain in Oslo."}')
    messages: list[dict[str, object]] = list(WEATHER_QUESTION)
    async with asyncio.timeout(SDK_TIMEOUT):
        first = await client.chat.completions.create(
            model=MODEL,
            messages=messages,  # type: ignore[arg-type]
            tools=[WEATHER],  # type: ignore[list-item]
        )
        message = first.choices[0].message
        [call] = message.tool_calls or []
        messages.append(message.model_dump(exclude_none=True))
        messages.append({"role": "tool", "tool_call_id": call.id, "content": "12 C, rain"})
        second = await client.chat.completions.create(
            model=MODEL,
            messages=messages,  # type: ignore[arg-type]
            tools=[WEATHER],  # type: ignore[list-item]
        )
    assert second.choices[0].message.content == "It is 12 C with rain in Oslo."
    prompt = emu.requests[1].form.get("user_input") or emu.requests[1].query["user_input"]
    assert f"Result of tool call {call.id} (get_weather): 12 C, rain" in prompt
