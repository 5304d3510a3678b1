"""Whole chat answers from the REST API: the model and usage it reports, bad shapes, long chats.

Each test here once let a mutation of the provider pass (docs/testing.md, "Mutation testing").
"""

import asyncio
import re

import pytest

from aiodynaspark import AsyncClient, DynasparkAPI, InvalidRequestError, Limits, ResponseError
from aiodynaspark.testing import Emulator, Quirk
from support.forward_proxy import ForwardProxy
from support.media import collect
from support.raw_server import RawServer, http_answer, json_answer

TIMEOUT = 10.0
USER = [{"role": "user", "content": "count these words"}]
LONG = [
    {"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i} " + "x" * 1000}
    for i in range(20)
]  # about 20 KB: over the 6 KB budget and the emulator's 8 KB request line


async def _ask(base_url: str, messages: object = USER, **kwargs: object) -> object:
    connection = {
        key: kwargs.pop(key) for key in ("limits", "api_key", "long_prompts") if key in kwargs
    }
    async with AsyncClient(base_url=base_url, max_retries=0, **connection) as client:  # type: ignore[arg-type]
        async with asyncio.timeout(TIMEOUT):
            return await client.chat.completions.create(
                messages=messages,  # type: ignore[arg-type]
                provider="api",
                **kwargs,  # type: ignore[call-overload]
            )


def _answer(**fields: object) -> bytes:
    return json_answer({"response": "four words right here", **fields})


async def test_whole_answer_keeps_the_services_model_and_counts() -> None:
    usage = {"prompt_tokens": 70, "completion_tokens": 110, "total_tokens": 180}
    async with RawServer(_answer(model="gemini-2.0-flash-001", usage=usage)) as server:
        done = await _ask(server.url)
    assert done.model == "gemini-2.0-flash-001"  # type: ignore[attr-defined]
    assert done.usage.model_dump(include=set(usage)) == usage  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "usage",
    [
        {"prompt_tokens": 70, "completion_tokens": 110},
        {"prompt_tokens": 70, "completion_tokens": 110, "total_tokens": True},
        {"prompt_tokens": 70, "completion_tokens": 110, "total_tokens": "180"},
        [70, 110, 180],
    ],
)
async def test_usage_with_a_count_missing_or_mistyped_is_estimated(usage: object) -> None:
    async with RawServer(_answer()) as server:
        estimated = (await _ask(server.url)).usage  # type: ignore[attr-defined]
    async with RawServer(_answer(usage=usage)) as server:
        done = await _ask(server.url)
    assert done.usage == estimated  # type: ignore[attr-defined]
    assert done.usage.total_tokens != 180  # type: ignore[attr-defined]


@pytest.mark.parametrize("model", ["", 5, None])
async def test_empty_or_mistyped_model_in_the_answer_gives_the_requested_one(model: object) -> None:
    async with RawServer(_answer(model=model)) as server:
        done = await _ask(server.url, model="gemini-2.0-flash")
    assert done.model == "gemini-2.0-flash"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("payload", "keys"), [({"answer": "x", "id": 1}, "answer, id"), ({}, "none")]
)
async def test_json_without_response_is_refused_naming_its_keys(
    payload: dict[str, object], keys: str
) -> None:
    message = f"The REST API answered with JSON that has no string 'response' (keys: {keys})."
    async with RawServer(json_answer(payload)) as server:
        with pytest.raises(ResponseError, match=f"^{re.escape(message)}$"):
            await _ask(server.url)


async def test_a_414_for_a_whole_chat_sends_it_by_the_web_form(emu: Emulator) -> None:
    done = await _ask(emu.url, LONG, limits=Limits(max_url_bytes=1_000_000))
    assert done.choices[0].message.content  # type: ignore[attr-defined]
    assert done.model == "gemini-1.5-flash"  # type: ignore[attr-defined]
    assert [r.method for r in emu.requests] == ["POST"]  # the GET was refused before recording


async def test_long_whole_chat_without_a_system_prompt_is_sent_as_is(emu: Emulator) -> None:
    await _ask(emu.url, LONG)
    assert emu.requests[0].form["user_input"].startswith("User: turn 0 x")


async def test_long_whole_chat_refused_in_refuse_mode_says_its_length_and_what_to_do(
    emu: Emulator,
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        await _ask(emu.url, LONG, temperature=0.5, top_p=0.5, long_prompts="refuse")
    assert re.search(
        r"its URL would be [\d,]+ bytes, over the 6,144-byte budget", str(refused.value)
    )
    assert str(refused.value).endswith(
        "With long_prompts='refuse' the client keeps temperature, top_p, which only the REST "
        "API takes. Drop them, or use long_prompts='web_form' to send the whole conversation "
        "by the web form without them, or shorten the conversation."
    )
    assert emu.requests == []


def test_unknown_chat_keywords_are_named_with_what_is_taken() -> None:
    message = (
        "DynasparkAPI does not take colour, size. It takes: frequency_penalty, json, "
        "presence_penalty, private, referrer, seed, stream, system, temperature, top_p, and "
        "the connection keywords api_key, backoff_base, base_url, connection_limit, deadline, "
        "limits, max_retries, max_retry_wait, proxy, session, timeout, trust_env."
    )
    with pytest.raises(InvalidRequestError, match=f"^{re.escape(message)}$"):
        DynasparkAPI.prepare_chat(None, USER, None, {"size": 1, "colour": "red"})


def test_system_messages_are_joined_line_by_line_and_the_rest_is_the_prompt() -> None:
    messages = [
        {"role": "system", "content": "Rule one."},
        {"role": "developer", "content": "Rule two."},
        *USER,
    ]
    chat = DynasparkAPI.prepare_chat(None, messages, None, {})
    assert chat.params["system"] == "Rule one.\nRule two."
    assert chat.prompt == chat.params["user_input"] == "count these words"


def test_conversation_of_system_messages_only_is_refused() -> None:
    message = "The conversation has no text; the service needs a prompt."
    with pytest.raises(InvalidRequestError, match=f"^{re.escape(message)}$"):
        DynasparkAPI.prepare_chat(None, [{"role": "system", "content": "Rule."}], None, {})


async def test_rest_requests_say_what_they_accept_and_who_asks(emu: Emulator) -> None:
    await _ask(emu.url)
    headers = emu.requests[0].headers
    assert headers["accept"] == "application/json, text/event-stream, audio/mpeg"
    assert headers["user-agent"] == "aiodynaspark"


async def test_chat_url_exactly_at_the_budget_goes_by_the_rest_api() -> None:
    async with RawServer(_answer()) as server:
        base_url = server.url
        with pytest.raises(InvalidRequestError) as refused:
            await _ask(
                server.url,
                api_key="k" * 40,
                temperature=0.5,
                limits=Limits(max_url_bytes=10),
                long_prompts="refuse",
            )
        found = re.search(r"would be ([\d,]+) bytes", str(refused.value))
        assert found is not None
        size = int(found.group(1).replace(",", ""))
        limits = Limits(max_url_bytes=size)
        await _ask(server.url, api_key="k" * 40, temperature=0.5, limits=limits)
    [target] = server.targets
    assert target.startswith("/api/generate_response?")
    assert "api_key=" + "k" * 40 in target
    assert len(base_url) + len(target) == size  # the budget counts the whole URL, key too


async def test_streamed_chat_goes_through_the_given_proxy(emu: Emulator) -> None:
    async with ForwardProxy() as proxy:
        pieces = DynasparkAPI.create_async_generator(
            "", USER, proxy=proxy.url, base_url=emu.url, max_retries=0
        )
        assert await collect(pieces)
    assert len(proxy.seen) == 1


@pytest.mark.parametrize(
    ("name", "value"), [("temperature", 0.0), ("temperature", 3.0), ("top_p", 0.0), ("top_p", 1)]
)
def test_sampling_option_at_either_end_of_its_range_is_sent(name: str, value: float) -> None:
    chat = DynasparkAPI.prepare_chat(None, USER, None, {name: value})
    assert chat.params[name] == repr(float(value))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (5, "referrer must be a string, got int."),
        ("a\ud800", "referrer is not valid Unicode (it holds a lone surrogate)."),
    ],
)
def test_bad_text_option_is_named(value: object, message: str) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        DynasparkAPI.prepare_chat(None, USER, None, {"referrer": value})
    assert str(refused.value) == message


async def _stream(emu: Emulator, limits: Limits) -> str:
    async with AsyncClient(base_url=emu.url, max_retries=0, limits=limits) as client:
        async with asyncio.timeout(TIMEOUT):
            stream = await client.chat.completions.create(
                messages=USER, stream=True, provider="api"
            )
            return "".join([c.choices[0].delta.content or "" async for c in stream])


async def test_streamed_chat_reads_events_under_the_clients_event_bound(emu: Emulator) -> None:
    emu.push(Quirk.unterminated_event(5_000))
    with pytest.raises(ResponseError, match=r"larger than 1,000 bytes \(Limits\.max_event_bytes\)"):
        await _stream(emu, Limits(max_event_bytes=1_000))


async def test_streamed_chat_reads_under_the_clients_stream_bound_naming_the_endpoint(
    emu: Emulator,
) -> None:
    emu.push(Quirk.endless_body())
    source = re.escape(emu.url + "/api/generate_response")
    with pytest.raises(
        ResponseError, match=f"^The stream from {source} is larger than 300,000 bytes"
    ):
        await _stream(emu, Limits(max_stream_bytes=300_000))


async def _stream_from(base_url: str) -> str:
    async with AsyncClient(base_url=base_url, max_retries=0) as client:
        async with asyncio.timeout(TIMEOUT):
            stream = await client.chat.completions.create(
                messages=USER, stream=True, provider="api"
            )
            return "".join([c.choices[0].delta.content or "" async for c in stream])


async def test_json_typed_answer_to_a_stream_request_that_is_not_json_is_a_response_error() -> None:
    async with RawServer(http_answer(b"<html>maintenance</html>")) as server:
        with pytest.raises(ResponseError, match="not JSON"):
            await _stream_from(server.url)


async def test_json_answer_to_a_stream_request_without_a_response_is_named() -> None:
    async with RawServer(json_answer({"text": "hi"})) as server:
        with pytest.raises(
            ResponseError, match=r"^The REST API answered with JSON without 'response'\.$"
        ):
            await _stream_from(server.url)
