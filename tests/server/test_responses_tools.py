"""Function tools on ``/v1/responses``: the openai SDK and the Agents SDK drive a tool loop.

The emulator plays the model with pushed replies, so each step of the loop is known.
"""

import asyncio
import json

import openai
import pytest

from aiodynaspark.testing import Emulator
from support.gateway import prompt_of

MODEL = "gemini-1.5-flash"
TIMEOUT = 20.0
ADD = {
    "type": "function",
    "name": "add",
    "description": "Add two numbers.",
    "parameters": {
        "type": "object",
        "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
        "required": ["a", "b"],
    },
}
CALL = '{"tool_calls": [{"name": "add", "arguments": {"a": 2, "b": 3}}]}'


async def test_a_function_call_round_trip_with_previous_response_id(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    emu.push_reply(CALL, '{"content": "It is 5."}')
    first = await client.responses.create(model=MODEL, input="What is 2 + 3?", tools=[ADD])
    [call] = first.output
    assert call.type == "function_call"
    assert call.name == "add" and json.loads(call.arguments) == {"a": 2, "b": 3}
    assert call.call_id.startswith("call_")
    second = await client.responses.create(
        model=MODEL,
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "5"}],
        tools=[ADD],
    )
    assert second.output_text == "It is 5."
    # The model saw its own call and the result, by the call's id.
    assert call.call_id in prompt_of(emu) and "5" in prompt_of(emu)


async def test_a_streamed_function_call_accumulates_in_the_sdk(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    emu.push_reply(CALL)
    async with asyncio.timeout(TIMEOUT):
        async with client.responses.stream(
            model=MODEL, input="What is 2 + 3?", tools=[ADD]
        ) as stream:
            kinds = [event.type async for event in stream]
            final = await stream.get_final_response()
    [call] = final.output
    assert call.type == "function_call" and json.loads(call.arguments) == {"a": 2, "b": 3}
    assert "response.function_call_arguments.delta" in kinds
    assert kinds[-3:] == [
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]


async def test_a_json_schema_format_answers_the_object(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    emu.push_reply('{"name": "Ada", "age": 36}')
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": False,
    }
    response = await client.responses.create(
        model=MODEL,
        input="Who?",
        text={"format": {"type": "json_schema", "name": "person", "schema": schema}},
    )
    assert json.loads(response.output_text) == {"name": "Ada", "age": 36}


async def test_max_output_tokens_cut_is_an_incomplete_response(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    emu.push_reply("word " * 200)
    response = await client.responses.create(model=MODEL, input="Talk", max_output_tokens=5)
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"


async def test_the_agents_sdk_runs_a_function_tool_on_its_default_model(
    emu: Emulator, gateway: str
) -> None:
    agents = pytest.importorskip("agents")
    agents.set_tracing_disabled(True)
    seen: list[tuple[float, float]] = []

    @agents.function_tool
    def add(a: float, b: float) -> float:
        """Add two numbers."""
        seen.append((a, b))
        return a + b

    emu.push_reply(CALL, '{"content": "2 + 3 is 5."}')
    sdk = openai.AsyncOpenAI(base_url=f"{gateway}/v1", api_key="x", max_retries=0)
    try:
        agent = agents.Agent(
            name="calc",
            instructions="Use the tool.",
            tools=[add],
            model=agents.OpenAIResponsesModel(model=MODEL, openai_client=sdk),
        )
        async with asyncio.timeout(TIMEOUT):
            result = await agents.Runner.run(agent, "What is 2 + 3?", max_turns=4)
    finally:
        await sdk.close()
    assert seen == [(2, 3)]
    assert result.final_output == "2 + 3 is 5."
