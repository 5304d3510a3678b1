"""What passes through the Responses store is counted and capped: metadata, the history a
``previous_response_id`` brings, and ids echoed in errors."""

import asyncio
import io
import json

import pytest

from support.gateway import GatewayFactory, assert_openai_error, fetch

TIMEOUT = 30.0
HI = {"model": "gemini-2.0-flash", "input": "Hi"}


@pytest.mark.parametrize(
    "metadata",
    [
        {f"k{index}": "v" for index in range(17)},
        {"k" * 65: "v"},
        {"k": "v" * 513},
    ],
    ids=["17 pairs", "65-character key", "513-character value"],
)
async def test_metadata_past_openais_bounds_is_a_400(
    gateway: str, metadata: dict[str, str]
) -> None:
    async with asyncio.timeout(TIMEOUT):
        answer = await fetch("POST", f"{gateway}/v1/responses", json={**HI, "metadata": metadata})
    error = assert_openai_error(answer, 400)
    assert error["param"] == "metadata"


async def test_metadata_within_openais_bounds_is_echoed(gateway: str) -> None:
    metadata = {f"k{index}" + "k" * 60: "v" * 512 for index in range(16)}
    async with asyncio.timeout(TIMEOUT):
        answer = await fetch("POST", f"{gateway}/v1/responses", json={**HI, "metadata": metadata})
    assert answer.json()["metadata"] == metadata


async def test_a_long_unknown_previous_response_id_gets_a_small_404(gateway: str) -> None:
    # Within the text budget (longer ids are refused with it, also in a small answer), so
    # the id reaches the store's lookup and its 404.
    body = json.dumps({**HI, "previous_response_id": "resp_" + "x" * 900_000}).encode()
    headers = {"content-type": "application/json"}
    async with asyncio.timeout(TIMEOUT):
        answer = await fetch(
            "POST", f"{gateway}/v1/responses", data=io.BytesIO(body), headers=headers
        )
    error = assert_openai_error(answer, 404)
    assert error["param"] == "previous_response_id"
    assert len(answer.body) < 1000


async def test_a_conversation_continued_past_the_text_bound_is_a_400(
    start_gateway: GatewayFactory,
) -> None:
    turn = "y" * 100
    async with asyncio.timeout(TIMEOUT), start_gateway(max_text_chars=1000) as root:
        previous = None
        for _ in range(20):
            body = {**HI, "input": turn, "previous_response_id": previous}
            answer = await fetch("POST", f"{root}/v1/responses", json=body)
            if answer.status != 200:
                break
            previous = answer.json()["id"]
    error = assert_openai_error(answer, 400)
    assert (error["param"], error["code"]) == ("previous_response_id", "limit_exceeded")
    assert "max_text_chars" in error["message"]
