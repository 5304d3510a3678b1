"""The OpenAI Agents SDK with OpenAIChatCompletionsModel and a function tool, against the
gateway over a real socket; the emulator plays the model, tracing exports nothing."""

import asyncio
from collections.abc import Iterator

import pytest
from agents import Agent, OpenAIChatCompletionsModel, Runner, function_tool, set_tracing_disabled

from aiodynaspark.testing import Emulator
from support.gateway import sdk

TIMEOUT = 20.0
MODEL = "gemini-2.0-flash"


@pytest.fixture(autouse=True)
def _no_tracing() -> Iterator[None]:
    # The SDK exports traces to OpenAI by default: never from a test (no network).
    set_tracing_disabled(True)
    yield
    set_tracing_disabled(False)


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city.

    Args:
        city: The city.
    """
    return f"12 C and rain in {city}"


async def test_agent_calls_a_function_tool_and_answers_with_its_result(
    gateway: str, emu: Emulator
) -> None:
    emu.push_reply(
        '{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]}',
        '{"content": "It is 12 C and rainy in Oslo."}',
    )
    async with sdk(gateway) as client:
        agent = Agent(
            name="weather",
            instructions="Answer questions about the weather.",
            tools=[get_weather],
            model=OpenAIChatCompletionsModel(model=MODEL, openai_client=client),
        )
        async with asyncio.timeout(TIMEOUT):
            result = await Runner.run(agent, "What is the weather in Oslo?", max_turns=3)
    assert result.final_output == "It is 12 C and rainy in Oslo."
    prompt = emu.requests[1].form.get("user_input") or emu.requests[1].query["user_input"]
    assert "(get_weather): 12 C and rain in Oslo" in prompt
