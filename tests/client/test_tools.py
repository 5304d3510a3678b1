"""Tools, structured answers, stop, max_tokens and usage on ``AsyncClient``, with the emulator
playing the model."""

import asyncio
import json
import logging

import pytest
from pydantic import BaseModel

from aiodynaspark import AsyncClient, InvalidModelOutputError, InvalidRequestError
from aiodynaspark.client import ChatCompletionChunk
from aiodynaspark.testing import Emulator, RecordedRequest
from support.tools import WEATHER, WEATHER_CALL, WEATHER_QUESTION

TIMEOUT = 10.0
PERSON = {
    "type": "json_schema",
    "json_schema": {
        "name": "person",
        "schema": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
            "required": ["name", "age"],
        },
    },
}


class Person(BaseModel):
    name: str
    age: int


@pytest.fixture
async def client(emu: Emulator) -> AsyncClient:
    async with AsyncClient(base_url=emu.url, max_retries=0) as c:
        yield c  # type: ignore[misc]


def _sent(request: RecordedRequest) -> str:
    """All the text the model read: the web form's prompt, or the REST system and prompt."""
    fields = request.form or request.query
    return f"{fields.get('system', '')}\n{fields['user_input']}"


async def _collect(stream: object) -> list[ChatCompletionChunk]:
    chunks = []
    async with asyncio.timeout(TIMEOUT):
        async for chunk in stream:  # type: ignore[attr-defined]
            chunks.append(chunk)
    return chunks


async def test_tool_call_comes_back_in_the_openai_shape(client: AsyncClient, emu: Emulator) -> None:
    emu.push_reply(WEATHER_CALL)
    async with asyncio.timeout(TIMEOUT):
        done = await client.chat.completions.create(messages=WEATHER_QUESTION, tools=[WEATHER])
    [choice] = done.choices
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls or []
    assert call.id.startswith("call_")
    assert call.type == "function"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Oslo"}


async def test_instructions_carry_each_tool_and_its_schema(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push_reply(WEATHER_CALL)
    async with asyncio.timeout(TIMEOUT):
        await client.chat.completions.create(messages=WEATHER_QUESTION, tools=[WEATHER])
    sent = _sent(emu.requests[0])
    assert "get_weather: The weather in a city." in sent
    assert '"required":["city"]' in sent
    assert "What is the weather in Oslo?" in sent


async def test_tool_choice_none_sends_no_tools(client: AsyncClient, emu: Emulator) -> None:
    emu.push_reply("It rains.")
    async with asyncio.timeout(TIMEOUT):
        done = await client.chat.completions.create(
            messages=WEATHER_QUESTION, tools=[WEATHER], tool_choice="none"
        )
    assert done.choices[0].message.content == "It rains."
    assert "get_weather" not in _sent(emu.requests[0])


async def test_broken_arguments_get_one_repair_round_with_the_errors(
    client: AsyncClient, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu.push_reply('{"tool_calls": [{"name": "get_weather", "arguments": {"town": "Oslo"}}]}')
    emu.push_reply(WEATHER_CALL)
    with caplog.at_level(logging.WARNING, logger="aiodynaspark"):
        async with asyncio.timeout(TIMEOUT):
            done = await client.chat.completions.create(messages=WEATHER_QUESTION, tools=[WEATHER])
    assert done.choices[0].finish_reason == "tool_calls"
    assert len(emu.requests) == 2
    assert '"city" is a required property' in _sent(emu.requests[1])
    assert any("repair round" in record.getMessage() for record in caplog.records)


async def test_an_answer_broken_twice_raises_instead_of_passing(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push_reply("I think it rains.", "Still prose.")
    with pytest.raises(InvalidModelOutputError) as caught:
        async with asyncio.timeout(TIMEOUT):
            await client.chat.completions.create(messages=WEATHER_QUESTION, tools=[WEATHER])
    assert caught.value.output == "Still prose."
    assert caught.value.errors == ["The reply holds no JSON object."]
    assert len(emu.requests) == 2


async def test_tool_results_in_history_reach_the_model(client: AsyncClient, emu: Emulator) -> None:
    emu.push_reply('{"content": "12 degrees and rain."}')
    messages = [
        *WEATHER_QUESTION,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_abc",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_abc", "content": "12 C, rain"},
    ]
    async with asyncio.timeout(TIMEOUT):
        done = await client.chat.completions.create(messages=messages, tools=[WEATHER])
    assert done.choices[0].message.content == "12 degrees and rain."
    assert done.choices[0].finish_reason == "stop"
    assert "Result of tool call call_abc (get_weather): 12 C, rain" in _sent(emu.requests[0])


async def test_json_schema_answer_is_the_checked_object(client: AsyncClient, emu: Emulator) -> None:
    emu.push_reply('```json\n{"name": "Ada", "age": 36}\n```')
    async with asyncio.timeout(TIMEOUT):
        done = await client.chat.completions.create(
            messages=WEATHER_QUESTION, response_format=PERSON
        )  # type: ignore[arg-type]
    assert json.loads(done.choices[0].message.content or "") == {"name": "Ada", "age": 36}


async def test_parse_returns_the_pydantic_object(client: AsyncClient, emu: Emulator) -> None:
    emu.push_reply('{"name": "Ada", "age": 36}')
    async with asyncio.timeout(TIMEOUT):
        done = await client.chat.completions.parse(
            messages=WEATHER_QUESTION, response_format=Person
        )
    assert done.choices[0].message.parsed == Person(name="Ada", age=36)


async def test_contract_asks_for_json_mode_where_the_endpoint_has_it(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push_reply('{"name": "Ada", "age": 36}')
    async with asyncio.timeout(TIMEOUT):
        await client.chat.completions.create(
            messages=WEATHER_QUESTION, response_format=PERSON, provider="api"
        )  # type: ignore[arg-type]
    assert emu.requests[0].query["json"] == "true"


async def test_stop_ends_the_answer_before_the_sequence(client: AsyncClient, emu: Emulator) -> None:
    emu.push_reply("one two. three")
    async with asyncio.timeout(TIMEOUT):
        done = await client.chat.completions.create(messages=WEATHER_QUESTION, stop=["."])
    assert done.choices[0].message.content == "one two"
    assert done.choices[0].finish_reason == "stop"


async def test_max_tokens_cuts_the_answer_with_finish_reason_length(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push_reply("a" * 40)
    async with asyncio.timeout(TIMEOUT):
        done = await client.chat.completions.create(messages=WEATHER_QUESTION, max_tokens=3)
    assert done.choices[0].message.content == "a" * 12
    assert done.choices[0].finish_reason == "length"


async def test_usage_of_an_answer_cut_by_max_tokens_counts_the_answer_as_sent(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push_reply("a" * 40)
    async with asyncio.timeout(TIMEOUT):
        done = await client.chat.completions.create(messages=WEATHER_QUESTION, max_tokens=3)
    assert done.usage is not None
    assert done.usage.completion_tokens == 3
    assert done.usage.total_tokens == done.usage.prompt_tokens + 3


async def test_usage_is_estimated_when_the_service_reports_none(client: AsyncClient) -> None:
    async with asyncio.timeout(TIMEOUT):
        done = await client.chat.completions.create(messages=[{"role": "user", "content": "abcd"}])
    assert done.provider == "Dynaspark"  # the web form reports no usage
    assert done.usage is not None
    assert done.usage.prompt_tokens == 1
    assert done.usage.total_tokens == done.usage.prompt_tokens + done.usage.completion_tokens > 1


async def test_usage_is_the_services_when_it_reports_it(client: AsyncClient, emu: Emulator) -> None:
    emu.push_reply("one two three")
    async with asyncio.timeout(TIMEOUT):
        done = await client.chat.completions.create(
            messages=WEATHER_QUESTION, provider="api", stream=False
        )
    assert done.usage is not None
    assert done.usage.completion_tokens == 3  # the emulator counts words


async def test_streamed_content_answer_arrives_in_pieces_while_the_json_streams(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push_reply('{"content": "It is twelve degrees with rain."}')
    stream = await client.chat.completions.create(
        messages=WEATHER_QUESTION, tools=[WEATHER], stream=True
    )
    chunks = await _collect(stream)
    contents = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(contents) > 2
    assert "".join(contents) == "It is twelve degrees with rain."
    assert chunks[-1].choices[0].finish_reason == "stop"


async def test_streamed_tool_call_comes_as_tool_call_deltas(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push_reply(WEATHER_CALL)
    stream = await client.chat.completions.create(
        messages=WEATHER_QUESTION, tools=[WEATHER], stream=True
    )
    chunks = await _collect(stream)
    deltas = [d for c in chunks for d in (c.choices[0].delta.tool_calls or [])]
    first, rest = deltas[0], deltas[1:]
    assert (first.index, first.type) == (0, "function")
    assert first.id is not None and first.id.startswith("call_")
    assert first.function is not None and first.function.name == "get_weather"
    arguments = "".join((d.function.arguments or "") for d in deltas if d.function)
    assert json.loads(arguments) == {"city": "Oslo"}
    assert all(d.index == 0 and d.id is None for d in rest)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_streamed_stop_holds_back_a_partial_sequence_and_ends_before_it(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push_reply("alpha beta gamma delta")
    stream = await client.chat.completions.create(
        messages=WEATHER_QUESTION, stop=" gam", stream=True
    )
    chunks = await _collect(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "alpha beta"
    assert chunks[-1].choices[0].finish_reason == "stop"


async def test_streamed_max_tokens_ends_with_finish_reason_length(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push_reply("aaaa " * 20)
    stream = await client.chat.completions.create(
        messages=WEATHER_QUESTION, max_tokens=4, stream=True
    )
    chunks = await _collect(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "aaaa aaaa aaaa a"
    assert chunks[-1].choices[0].finish_reason == "length"


async def test_include_usage_ends_the_stream_with_a_usage_chunk(
    client: AsyncClient, emu: Emulator
) -> None:
    stream = await client.chat.completions.create(
        messages=WEATHER_QUESTION, stream=True, stream_options={"include_usage": True}
    )
    chunks = await _collect(stream)
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None and last.usage.completion_tokens > 0
    assert all(c.usage is None for c in chunks[:-1])


async def test_a_malformed_tool_is_refused_before_any_request(
    client: AsyncClient, emu: Emulator
) -> None:
    broken = {"type": "function", "function": {"name": "f", "parameters": {"type": "nope"}}}
    with pytest.raises(InvalidRequestError, match="not a valid JSON schema"):
        await client.chat.completions.create(messages=WEATHER_QUESTION, tools=[broken])  # type: ignore[list-item]
    assert emu.requests == []


def test_the_sync_client_parses_too() -> None:
    from aiodynaspark import Client

    with Emulator.run_in_thread() as emu, Client(base_url=emu.url, max_retries=0) as client:
        emu.push_reply('{"name": "Ada", "age": 36}')
        done = client.chat.completions.parse(messages=WEATHER_QUESTION, response_format=Person)
    assert done.choices[0].message.parsed == Person(name="Ada", age=36)
