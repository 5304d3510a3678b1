"""A LangGraph ReAct agent with ChatOpenAI(temperature=0) against the gateway: its tool returns
4 KB of JSON, so the second call is past the REST API's URL budget. It completes: the
conversation goes by the web form, whole, and the gateway names the temperature it dropped."""

import asyncio
import json
import logging

import pytest
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.prebuilt import create_react_agent

from aiodynaspark.testing import Emulator

# LangGraph 1.x points to langchain's create_agent, which is the same loop in a package this
# project does not otherwise need.
pytestmark = pytest.mark.filterwarnings("ignore:create_react_agent has been moved")

TIMEOUT = 30.0
# About 4 KB of JSON, as a search tool returns: with the question and instructions, past
# the 6 KB budget once percent-encoded.
ORDERS = [{"id": f"A{n:04}", "item": "blue ceramic mug", "status": "shipped"} for n in range(70)]


@tool
def list_orders(customer: str) -> str:
    """Every order of a customer, as JSON."""
    return json.dumps(ORDERS)


async def test_react_agent_whose_tool_result_passes_the_budget_completes(
    gateway: str, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    assert len(json.dumps(ORDERS)) > 4000
    emu.push_reply(
        '{"tool_calls": [{"name": "list_orders", "arguments": {"customer": "Ada"}}]}',
        '{"content": "Ada has 70 orders, all shipped."}',
    )
    model = ChatOpenAI(
        model="gemini-2.0-flash",
        base_url=f"{gateway}/v1",
        api_key="x",
        temperature=0,
        max_retries=0,
        timeout=20,  # type: ignore[arg-type]
    )
    agent = create_react_agent(model, [list_orders])
    with caplog.at_level(logging.INFO, logger="aiodynaspark"):
        async with asyncio.timeout(TIMEOUT):
            state = await agent.ainvoke({"messages": [("user", "How are Ada's orders doing?")]})
    assert state["messages"][-1].content == "Ada has 70 orders, all shipped."
    # The first call went by the REST API with its temperature, the second by the web form.
    assert [r.method for r in emu.requests] == ["GET", "POST"]
    assert emu.requests[0].query["temperature"] == "0.0"
    assert '"id": "A0069"' in emu.requests[1].form["user_input"]
    assert "dropped: temperature" in caplog.text
