"""``GET /v1/responses/{id}/input_items`` in OpenAI's list shape, through the official SDK."""

import asyncio
from pathlib import Path

import openai

from support.gateway import SDK_TIMEOUT, GatewayFactory, assert_openai_error, fetch
from support.tenancy import TwoKeys, bearer, create

MODEL = "gemini-2.0-flash"
CONVERSATION = [
    {"role": "user", "content": "What is the weather in Oslo?"},
    {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{}"},
    {"type": "function_call_output", "call_id": "call_1", "output": "12 C, rain"},
    {"role": "user", "content": "And tomorrow?"},
]


async def test_the_sdk_lists_a_responses_input_items_newest_first(
    client: openai.AsyncOpenAI,
) -> None:
    async with asyncio.timeout(SDK_TIMEOUT):
        made = await client.responses.create(model=MODEL, input=CONVERSATION)  # type: ignore[arg-type]
        page = await client.responses.input_items.list(made.id)
    kinds = [item.type for item in page.data]
    assert kinds == ["message", "function_call_output", "function_call", "message"]
    assert page.data[0].content[0].text == "And tomorrow?"  # type: ignore[union-attr]
    assert page.data[2].call_id == "call_1"  # type: ignore[union-attr]
    assert len({item.id for item in page.data}) == 4


async def test_input_items_page_with_limit_order_and_after(gateway: str) -> None:
    made = (
        await fetch("POST", f"{gateway}/v1/responses", json={"model": MODEL, "input": CONVERSATION})
    ).json()
    url = f"{gateway}/v1/responses/{made['id']}/input_items"
    first = (await fetch("GET", url, params={"limit": 3, "order": "asc"})).json()
    assert first["object"] == "list" and first["has_more"] is True
    assert [item["type"] for item in first["data"]] == [
        "message",
        "function_call",
        "function_call_output",
    ]
    assert first["first_id"] == first["data"][0]["id"]
    rest = (
        await fetch("GET", url, params={"limit": 3, "order": "asc", "after": first["last_id"]})
    ).json()
    assert [item["content"][0]["text"] for item in rest["data"]] == ["And tomorrow?"]
    assert rest["has_more"] is False


async def test_a_plain_string_input_is_one_user_message_item(client: openai.AsyncOpenAI) -> None:
    async with asyncio.timeout(SDK_TIMEOUT):
        made = await client.responses.create(model=MODEL, input="Hello there")
        page = await client.responses.input_items.list(made.id, order="asc")
    [item] = page.data
    assert (item.type, item.role) == ("message", "user")  # type: ignore[union-attr]
    assert item.content[0].text == "Hello there"  # type: ignore[union-attr]


async def test_input_items_of_an_unknown_response_are_404(gateway: str) -> None:
    answer = await fetch("GET", f"{gateway}/v1/responses/resp_nope/input_items")
    assert assert_openai_error(answer, 404)["code"] == "not_found"


async def test_a_page_size_past_a_hundred_is_refused(gateway: str) -> None:
    answer = await fetch("GET", f"{gateway}/v1/responses/resp_x/input_items?limit=101")
    assert "limit" in assert_openai_error(answer, 400)["message"]


async def test_another_key_cannot_list_a_responses_input_items(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    keys = TwoKeys(tmp_path)
    async with asyncio.timeout(SDK_TIMEOUT), start_gateway(keys_file=str(keys.path)) as root:
        made = (await create(root, keys.alice)).json()
        url = f"{root}/v1/responses/{made['id']}/input_items"
        alice = await fetch("GET", url, headers=bearer(keys.alice))
        bob = await fetch("GET", url, headers=bearer(keys.bob))
    assert alice.status == 200
    assert len(alice.json()["data"]) == 1
    assert bob.status == 404
