"""Behaviours that hand-made mutations of the retry, SSE, prompt, provider and gateway error
code got past: each test here fails when its behaviour is broken."""

import pytest

from aiodynaspark import AsyncClient, Dynaspark, DynasparkAPI
from aiodynaspark._retry import RetryPolicy
from aiodynaspark._sse import iter_text_pieces, text_from_payload
from aiodynaspark._status_errors import status_error
from aiodynaspark.testing import Emulator, Fault

USER = [{"role": "user", "content": "hi"}]


async def _aiter(chunks: list[bytes]):  # type: ignore[no-untyped-def]
    for chunk in chunks:
        yield chunk


def _error(status: int, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return status_error(status, "{}", headers or {}, url="http://x", now=0.0)


def test_408_is_retried() -> None:
    assert RetryPolicy.is_retryable(_error(408))


async def test_408_then_success_answers(emu: Emulator) -> None:
    emu.push(Fault.status(408), None)
    async with AsyncClient(base_url=emu.url, max_retries=1, backoff_base=0.001) as client:
        done = await client.chat.completions.create(messages=USER)
    assert done.choices[0].message.content


def test_retry_after_on_a_503_sets_the_wait() -> None:
    policy = RetryPolicy(base=0.001)
    assert policy.wait_before_retry(0, _error(503, {"retry-after": "3"})) == 3.0


def test_backoff_ceiling_grows_each_retry() -> None:
    policy = RetryPolicy(base=1.0, cap=100.0)
    for retry in range(4):
        waits = [policy.wait_before_retry(retry, _error(500)) for _ in range(400)]
        assert max(waits) <= 2**retry
        assert max(waits) > 0.9 * 2**retry  # 400 uniform draws reach the ceiling's top tenth


def test_json_event_with_no_known_key_carries_no_text() -> None:
    assert text_from_payload('{"id": "x", "object": "ping"}') is None


async def test_empty_pieces_are_not_yielded() -> None:
    body = [b'data: {"response": ""}\n\n', b'data: {"response": "a"}\n\n', b"data: [DONE]\n\n"]
    assert [p async for p in iter_text_pieces(_aiter(body), source="x")] == ["a"]


def test_developer_role_is_a_system_message() -> None:
    messages = [{"role": "developer", "content": "Be terse."}, *USER]
    chat = DynasparkAPI.prepare_chat(None, messages, None, {})
    assert chat.params["system"] == "Be terse."
    assert "Be terse." not in chat.params["user_input"]


@pytest.mark.parametrize(
    ("alias", "model"),
    [
        ("gemini", "gemini-1.5-flash"),
        ("gemini-flash", "gemini-2.0-flash"),
        ("gemini-flash-lite", "gemini-2.0-flash-lite"),
        ("gemini-1.5", "gemini-1.5-flash"),
        ("gemini-1.5-8b", "gemini-1.5-flash-8b"),
        ("gemini-2.0", "gemini-2.0-flash"),
        ("gemini-2.0-lite", "gemini-2.0-flash-lite"),
    ],
)
def test_each_alias_names_its_model(alias: str, model: str) -> None:
    assert Dynaspark.get_model(alias) == model
    assert DynasparkAPI.get_model(alias) == model
