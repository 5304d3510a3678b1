"""LangChain's ChatOpenAI against the gateway over a real socket: an agent step with a tool
result, and structured output by each of its three methods. The emulator plays the model."""

import asyncio

import pytest
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from aiodynaspark.testing import Emulator

TIMEOUT = 20.0
MODEL = "gemini-2.0-flash"


class Person(BaseModel):
    """A person."""

    name: str
    age: int


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return "12 C, rain"


def _chat(gateway: str) -> ChatOpenAI:
    return ChatOpenAI(
        model=MODEL,
        base_url=f"{gateway}/v1",
        api_key="x",
        max_retries=0,
        timeout=15,  # type: ignore[arg-type]
    )


async def test_bind_tools_runs_a_two_step_loop_with_a_tool_result(
    gateway: str, emu: Emulator
) -> None:
    emu.push_reply(
        '{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]}',
        '{"content": "In Oslo it is 12 C with rain."}',
    )
    chat = _chat(gateway).bind_tools([get_weather])
    question = HumanMessage("What is the weather in Oslo?")
    async with asyncio.timeout(TIMEOUT):
        step = await chat.ainvoke([question])
        [call] = step.tool_calls  # type: ignore[attr-defined]
        assert (call["name"], call["args"]) == ("get_weather", {"city": "Oslo"})
        result = ToolMessage(get_weather.invoke(call["args"]), tool_call_id=call["id"])
        final = await chat.ainvoke([question, step, result])
    assert final.content == "In Oslo it is 12 C with rain."
    prompt = emu.requests[1].form.get("user_input") or emu.requests[1].query["user_input"]
    assert f"Result of tool call {call['id']} (get_weather): 12 C, rain" in prompt


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
async def test_with_structured_output_returns_the_object(
    gateway: str, emu: Emulator, method: str
) -> None:
    if method == "function_calling":
        emu.push_reply(
            '{"tool_calls": [{"name": "Person", "arguments": {"name": "Ada", "age": 36}}]}'
        )
    else:
        emu.push_reply('{"name": "Ada", "age": 36}')
    structured = _chat(gateway).with_structured_output(Person, method=method)  # type: ignore[arg-type]
    async with asyncio.timeout(TIMEOUT):
        person = await structured.ainvoke("Ada Lovelace, 36, as JSON with name and age.")
    assert person == Person(name="Ada", age=36)
