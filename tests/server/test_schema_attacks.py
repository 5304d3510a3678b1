"""A caller's JSON schema is data: attacks through every place a schema enters the gateway.

Each schema goes to all three APIs, as a tool's and as an answer's format (Anthropic's
``output_config.format`` too); the emulator is scripted to
answer as the attack needs, so a schema the old code compiled lazily would be applied. A
remote ``$ref`` points at a canary server that records any connection; a ``file:`` one at a
temporary file whose text must appear nowhere. No test here measures time: each request is
bounded (``support.gateway.fetch``), and the old code's freezes fail on that bound.
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from aiodynaspark.testing import Emulator
from support.gateway import Answer, fetch
from support.loopback_server import LoopbackServer
from support.tools import SchemaPlace, schema_request

SECRET = "canary-text-7f3a9c"
PLACES = list(SchemaPlace)


class Canary(LoopbackServer):
    """Records every connection it gets; answers a small JSON schema to whoever asks."""

    def __init__(self) -> None:
        self.connections = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        body = b'{"type": "string"}'
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()


@pytest.fixture
async def canary() -> AsyncIterator[Canary]:
    async with Canary() as server:
        yield server


@pytest.fixture
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Callable[[], None]:
    """A check, run after the attack, that nothing was logged with a traceback."""
    caplog.set_level(logging.DEBUG)

    def check() -> None:
        for record in caplog.records:
            assert record.exc_info is None, record.getMessage()
            assert "Traceback" not in record.getMessage()

    return check


async def _send(gateway: str, place: SchemaPlace, schema: dict[str, Any]) -> Answer:
    path, body = schema_request(place, schema)
    return await fetch("POST", gateway + path, json=body)


def _error_message(answer: Answer) -> str:
    message = answer.json()["error"]["message"]
    assert isinstance(message, str)
    return message


def _push_answer_for(emu: Emulator, place: SchemaPlace, value: object) -> None:
    """Script the model to answer ``value``, twice (the repair round takes the second)."""
    if place.is_tool:
        reply = json.dumps({"tool_calls": [{"name": "f", "arguments": value}]})
    else:
        reply = json.dumps(value)
    emu.push_reply(reply, reply)


@pytest.mark.parametrize("place", PLACES, ids=str)
async def test_a_remote_ref_is_refused_and_never_fetched(
    emu: Emulator, gateway: str, canary: Canary, place: SchemaPlace
) -> None:
    target = canary.url + "/schema.json"
    _push_answer_for(emu, place, {"a": "x"})
    schema = {"type": "object", "properties": {"a": {"$ref": target}}}
    answer = await _send(gateway, place, schema)
    assert answer.status == 400, answer.body
    assert target in _error_message(answer)
    assert canary.connections == 0
    assert not emu.requests  # refused before any request to the service


@pytest.mark.parametrize("place", PLACES, ids=str)
async def test_a_file_ref_is_refused_and_the_file_never_read(
    emu: Emulator, gateway: str, tmp_path: Path, place: SchemaPlace
) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"const": SECRET}))  # a check would quote it
    _push_answer_for(emu, place, {"a": 1})
    schema = {"type": "object", "properties": {"a": {"$ref": secret.as_uri()}}}
    answer = await _send(gateway, place, schema)
    assert answer.status == 400, answer.body
    assert secret.as_uri() in _error_message(answer)
    assert SECRET not in answer.text


async def test_a_catastrophic_pattern_is_checked_in_linear_time(
    emu: Emulator, gateway: str
) -> None:
    # Backtracking tries 2**24 ways to split the a's before the "!" fails them all.
    schema = {"type": "object", "properties": {"a": {"type": "string", "pattern": "^(a+)+$"}}}
    _push_answer_for(emu, SchemaPlace.CHAT_FORMAT, {"a": "a" * 24 + "!"})
    answer = await _send(gateway, SchemaPlace.CHAT_FORMAT, schema)
    assert answer.status == 502, answer.body
    assert answer.json()["error"]["code"] == "invalid_model_output"
    assert "does not match" in _error_message(answer)


async def test_a_pattern_outside_re2_is_refused_naming_it(gateway: str) -> None:
    schema = {"type": "string", "pattern": "(a)\\1"}
    answer = await _send(gateway, SchemaPlace.CHAT_TOOL, schema)
    assert answer.status == 400, answer.body
    assert "(a)\\\\1" in _error_message(answer) and "RE2" in _error_message(answer)


async def test_an_8000_item_mixed_draft4_enum_is_compiled_and_applied(
    emu: Emulator, gateway: str
) -> None:
    # Its meta-schema check asks that the items be unique: pairwise, 32 million comparisons.
    items: list[object] = [str(i) if i % 2 else i for i in range(7999)]
    items.append({"n": 1})
    schema = {"$schema": "http://json-schema.org/draft-04/schema#", "enum": items}
    emu.push_reply('{"n": 2}', '{"n": 1}')  # the first is not among the items
    answer = await _send(gateway, SchemaPlace.CHAT_FORMAT, schema)
    assert answer.status == 200, answer.body
    assert json.loads(answer.json()["choices"][0]["message"]["content"]) == {"n": 1}
    assert len(emu.requests) == 2


async def test_a_ref_fan_out_is_refused_without_being_expanded(emu: Emulator, gateway: str) -> None:
    # Each definition uses the next one twice: 2**20 uses of the last from 1.7 KB.
    defs: dict[str, object] = {
        f"d{i}": {"anyOf": [{"$ref": f"#/$defs/d{i + 1}"}, {"$ref": f"#/$defs/d{i + 1}"}]}
        for i in range(20)
    }
    defs["d20"] = {"type": "integer"}
    _push_answer_for(emu, SchemaPlace.CHAT_TOOL, {})  # an object: every branch fails
    answer = await _send(gateway, SchemaPlace.CHAT_TOOL, {"$defs": defs, "$ref": "#/$defs/d0"})
    assert answer.status == 400, answer.body
    assert "50,000 values" in _error_message(answer)
    assert not emu.requests


@pytest.mark.parametrize("place", PLACES, ids=str)
async def test_a_schema_nested_200_levels_is_refused_with_400(
    emu: Emulator, gateway: str, place: SchemaPlace, no_tracebacks: Callable[[], None]
) -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(200):
        schema = {"type": "array", "items": schema}
    answer = await _send(gateway, place, schema)
    assert answer.status == 400, answer.body
    assert "nests deeper than 64 levels" in _error_message(answer)
    no_tracebacks()


@pytest.mark.parametrize("place", PLACES, ids=str)
async def test_a_model_answer_nested_1000_levels_is_invalid_model_output(
    emu: Emulator, gateway: str, place: SchemaPlace, no_tracebacks: Callable[[], None]
) -> None:
    deep = "[" * 1000 + "]" * 1000
    reply = (
        '{"tool_calls": [{"name": "f", "arguments": {"a": ' + deep + "}}]}"
        if place.is_tool
        else '{"a": ' + deep + "}"
    )
    emu.push_reply(reply, reply)
    answer = await _send(gateway, place, {"type": "object"})
    assert answer.status == 502, answer.body
    assert "nests deeper than 64 levels" in _error_message(answer)
    no_tracebacks()


async def test_a_model_answer_nested_past_the_bound_is_refused_when_it_parses(
    emu: Emulator, gateway: str
) -> None:
    reply = '{"a": ' + "[" * 100 + "]" * 100 + "}"
    emu.push_reply(reply, reply)
    answer = await _send(gateway, SchemaPlace.CHAT_FORMAT, {"type": "object"})
    assert answer.status == 502, answer.body
    assert "nests deeper than 64 levels" in _error_message(answer)
