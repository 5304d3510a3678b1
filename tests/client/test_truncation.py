"""``truncation="auto"``: a conversation too long for the REST API's URL loses its oldest
turns until it fits, and still streams with its options."""

import asyncio

import pytest

from aiodynaspark import AsyncClient, InvalidRequestError
from aiodynaspark.testing import Emulator

TIMEOUT = 10.0
SYSTEM = {"role": "system", "content": "Be brief."}
TURNS = [
    {"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i} " + "x" * 1000}
    for i in range(20)
]  # about 20 KB; the newest five turns fit the 6 KB budget, not the sixth
LAST = {"role": "user", "content": "and now?"}


@pytest.fixture
async def client(emu: Emulator) -> AsyncClient:
    async with AsyncClient(base_url=emu.url, max_retries=0) as c:
        yield c  # type: ignore[misc]


async def _stream(client: AsyncClient, messages: list[dict[str, str]], **options: object) -> bool:
    """Stream to the end; whether the answer came whole."""
    async with asyncio.timeout(TIMEOUT):
        stream = await client.chat.completions.create(
            messages=messages,
            stream=True,
            **options,  # type: ignore[call-overload]
        )
        assert [chunk async for chunk in stream]
    return stream.whole


async def test_auto_truncation_streams_a_long_chat_from_the_rest_api_with_its_options(
    client: AsyncClient, emu: Emulator
) -> None:
    whole = await _stream(client, [SYSTEM, *TURNS, LAST], truncation="auto", temperature=0.2)
    assert not whole
    [request] = emu.requests
    assert (request.method, request.query["temperature"]) == ("GET", "0.2")


async def test_auto_truncation_drops_only_the_oldest_turns_that_must_go(
    client: AsyncClient, emu: Emulator
) -> None:
    await _stream(client, [SYSTEM, *TURNS, LAST], truncation="auto")
    prompt = emu.requests[0].query["user_input"]
    kept = [turn for turn in TURNS if turn["content"] in prompt]
    assert kept == TURNS[-len(kept) :]  # the newest ones, in order
    assert 0 < len(kept) < len(TURNS)
    assert prompt.endswith("User: and now?\nAssistant:")
    assert emu.requests[0].query["system"] == "Be brief."


async def test_auto_truncation_keeps_as_many_turns_as_fit(
    client: AsyncClient, emu: Emulator
) -> None:
    await _stream(client, [*TURNS, LAST], truncation="auto")
    kept = sum(turn["content"] in emu.requests[0].query["user_input"] for turn in TURNS)
    emu.reset()
    # One more turn than was kept does not fit: it goes by the web form.
    assert await _stream(client, [*TURNS[-(kept + 1) :], LAST])


async def test_a_last_user_turn_too_long_alone_goes_by_the_web_form(
    client: AsyncClient, emu: Emulator
) -> None:
    whole = await _stream(
        client, [*TURNS[:2], {"role": "user", "content": "y" * 8000}], truncation="auto"
    )
    assert whole
    assert [r.method for r in emu.requests] == ["POST"]
    assert "turn 0" in emu.requests[0].form["user_input"]  # the web form took it whole


async def test_disabled_truncation_sends_the_whole_chat_by_the_web_form(
    client: AsyncClient, emu: Emulator
) -> None:
    assert await _stream(client, [*TURNS, LAST], truncation="disabled")
    assert [r.method for r in emu.requests] == ["POST"]


async def test_an_unknown_truncation_is_refused_before_any_request(
    client: AsyncClient, emu: Emulator
) -> None:
    with pytest.raises(InvalidRequestError, match="truncation must be 'auto' or 'disabled'"):
        await _stream(client, [LAST], truncation="oldest")
    assert emu.requests == []
