"""The web form provider: its multipart body, its refusals and the answers it cannot read.

Each test here once let a mutation of the provider pass (docs/testing.md, "Mutation testing").
"""

import re

import pytest

from aiodynaspark import Dynaspark, InvalidRequestError, ResponseError
from aiodynaspark.testing import Emulator
from raw_server import RawServer, json_answer
from support import collect

USER = [{"role": "user", "content": "hello"}]
FIXED_BOUNDARY = "----aiodynasparkFormBoundary0b5e9c7a4f1d"


async def _ask(base_url: str, messages: object = USER) -> str:
    return await collect(
        Dynaspark.create_async_generator("", messages, base_url=base_url, max_retries=0)  # type: ignore[arg-type]
    )


async def test_prompt_holding_the_form_boundary_arrives_intact(emu: Emulator) -> None:
    prompt = f"before\r\n--{FIXED_BOUNDARY}\r\nafter"
    assert await _ask(emu.url, [{"role": "user", "content": prompt}])
    assert emu.requests[0].form == {"user_input": prompt, "ai_model": "gemini-1.5-flash"}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"error": "quota spent"}, "The service answered 200 with an error: quota spent"),
        (
            {"error": {"code": 1}, "id": "x"},
            "The service answered 200 with JSON that has no string 'response' (keys: error, id).",
        ),
        ({}, "The service answered 200 with JSON that has no string 'response' (keys: none)."),
    ],
)
async def test_answer_without_a_response_is_refused_saying_what_it_held(
    payload: dict[str, object], message: str
) -> None:
    async with RawServer(json_answer(payload)) as server:
        with pytest.raises(ResponseError, match=f"^{re.escape(message)}$"):
            await _ask(server.url)


def test_unknown_keyword_is_named_with_what_the_web_form_takes() -> None:
    message = (
        "Dynaspark does not take temperature. It takes: stream, and the connection keywords "
        "base_url, api_key, timeout, max_retries, session."
    )
    with pytest.raises(InvalidRequestError, match=f"^{re.escape(message)}$"):
        Dynaspark.prepare_chat(None, USER, None, {"temperature": 0.5})
