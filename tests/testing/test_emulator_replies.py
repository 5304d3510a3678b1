"""Scripted replies as data: the control route, replies files, and what the model then says."""

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

from aiodynaspark import AsyncClient
from aiodynaspark.testing import Emulator, answer_for
from support.emulator_http import TIMEOUT

MODEL = "gemini-2.0-flash"
ADD = {
    "type": "function",
    "function": {
        "name": "add",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
            "required": ["a", "b"],
        },
    },
}
CALL = {"tool_calls": [{"name": "add", "arguments": {"a": 2, "b": 3}}]}


async def _control(
    session: aiohttp.ClientSession, emu: Emulator, document: object, method: str = "POST"
) -> tuple[int, dict[str, object]]:
    async with session.request(
        method, f"{emu.url}/_emulator/replies", data=json.dumps(document)
    ) as response:
        return response.status, await response.json()


async def _ask(emu: Emulator, prompt: str, **options: object) -> object:
    async with AsyncClient(base_url=emu.url, max_retries=0) as client:
        done = await client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": prompt}],
            provider="api",
            **options,  # type: ignore[arg-type]
        )
    return done.choices[0].message


async def test_the_control_route_queues_a_tool_call_the_client_reads(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    async with asyncio.timeout(TIMEOUT):
        status, answer = await _control(session, emu, [CALL, {"content": "5"}])
        message = await _ask(emu, "What is 2 + 3?", tools=[ADD])
    assert (status, answer) == (200, {"queued": 2, "waiting": 2})
    [call] = message.tool_calls  # type: ignore[attr-defined]
    assert (call.function.name, json.loads(call.function.arguments)) == ("add", {"a": 2, "b": 3})


async def test_a_json_reply_is_the_structured_answer(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    async with asyncio.timeout(TIMEOUT):
        await _control(session, emu, {"json": {"n": 5}})
        message = await _ask(
            emu,
            "Count.",
            response_format={"type": "json_schema", "json_schema": {"name": "c", "schema": schema}},
        )
    assert json.loads(message.content) == {"n": 5}  # type: ignore[attr-defined]


async def test_a_matched_reply_waits_for_its_prompt(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    async with asyncio.timeout(TIMEOUT):
        await _control(session, emu, [{"text": "for the weather", "match": "weather"}])
        other = await _ask(emu, "Hello")
        mine = await _ask(emu, "The weather?")
    assert other.content == answer_for(MODEL, "Hello")  # type: ignore[attr-defined]
    assert mine.content == "for the weather"  # type: ignore[attr-defined]


async def test_delete_forgets_the_waiting_replies(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    async with asyncio.timeout(TIMEOUT):
        await _control(session, emu, ["never said"])
        status, answer = await _control(session, emu, None, method="DELETE")
        message = await _ask(emu, "Hello")
    assert (status, answer["waiting"]) == (200, 0)
    assert message.content == answer_for(MODEL, "Hello")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "document",
    [
        {"text": 1},
        {"tool_calls": "add"},
        {"text": "a", "json": 1},
        {"nothing": 1},
        5,
        {"match": 1, "text": "a"},
    ],
)
async def test_a_reply_of_no_known_shape_is_400_and_queues_nothing(
    emu: Emulator, session: aiohttp.ClientSession, document: object
) -> None:
    async with asyncio.timeout(TIMEOUT):
        status, answer = await _control(session, emu, ["fine", document])
    assert status == 400
    assert "Bad replies" in str(answer["error"])
    assert emu.requests == []
    async with asyncio.timeout(TIMEOUT):
        message = await _ask(emu, "Hello")
    assert message.content == answer_for(MODEL, "Hello")  # type: ignore[attr-defined]


async def test_the_control_route_is_not_recorded_as_a_request(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    async with asyncio.timeout(TIMEOUT):
        await _control(session, emu, ["x"])
    assert emu.requests == []


async def test_the_control_route_refuses_a_caller_off_this_machine() -> None:
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: it picks the outgoing address
            address = probe.getsockname()[0]
    except OSError:
        pytest.skip("this machine has no address besides loopback")
    if address.startswith("127."):
        pytest.skip("this machine has no address besides loopback")
    async with (
        Emulator(host="0.0.0.0") as emu,
        aiohttp.ClientSession() as session,
        asyncio.timeout(TIMEOUT),
    ):
        port = emu.url.rsplit(":", 1)[1]
        async with session.post(f"http://{address}:{port}/_emulator/replies", data='"x"') as answer:
            assert answer.status == 403


def test_a_replies_file_in_json_lines_is_read_in_order(tmp_path: Path) -> None:
    path = tmp_path / "replies.jsonl"
    path.write_text('{"tool_calls": [{"name": "add", "arguments": {}}]}\n\n"plain"\n')
    emu = Emulator()
    assert emu.load_replies(path) == 2


async def test_a_replies_file_answers_the_model_turns(tmp_path: Path) -> None:
    path = tmp_path / "replies.json"
    path.write_text(json.dumps([CALL, {"content": "2 + 3 = 5."}]))
    async with Emulator() as emu, asyncio.timeout(TIMEOUT):
        emu.load_replies(path)
        message = await _ask(emu, "What is 2 + 3?", tools=[ADD])
    assert message.tool_calls[0].function.name == "add"  # type: ignore[attr-defined]


def test_a_bad_line_in_a_replies_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "replies.jsonl"
    path.write_text('"fine"\n{"text": \n')
    with pytest.raises(ValueError, match=r"replies.jsonl:2: not JSON"):
        Emulator().load_replies(path)
