"""Nothing silently dropped: fields the service cannot honour are refused or named, on all APIs.

The policy is declared once in ``_chat_options.py``: a field that would change the answer's
shape is refused with 400 naming it and why; one that changes nothing visible is accepted and
named in ``x-aiodynaspark-ignored-params``. The official SDKs are the callers.
"""

import asyncio
import json

import anthropic
import openai
import pytest

from aiodynaspark._chat_options import CHAT_OPTIONS, unhonoured_fields
from aiodynaspark.testing import Emulator, Fault
from support.gateway import SDK_TIMEOUT, assert_openai_error, fetch, prompt_of

MODEL = "gemini-2.0-flash"
USER = [{"role": "user", "content": "Hello there"}]
HEADER = "x-aiodynaspark-ignored-params"


def body_of(**fields: object) -> dict[str, object]:
    return {"model": MODEL, "messages": USER, **fields}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("logprobs", True),
        ("top_logprobs", 3),
        ("modalities", ["text", "audio"]),
        ("audio", {}),
        ("n", 2),
    ],
)
async def test_a_field_that_changes_the_answer_is_refused_by_name(
    gateway: str, emu: Emulator, field: str, value: object
) -> None:
    answer = await fetch("POST", f"{gateway}/v1/chat/completions", json=body_of(**{field: value}))
    error = assert_openai_error(answer, 400)
    assert error["param"] == field
    assert "cannot honour" in error["message"]
    assert emu.requests == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("logprobs", False), ("top_logprobs", 0), ("modalities", ["text"]), ("n", 1)],
)
async def test_a_refusable_field_asking_for_nothing_missing_is_accepted(
    gateway: str, field: str, value: object
) -> None:
    answer = await fetch("POST", f"{gateway}/v1/chat/completions", json=body_of(**{field: value}))
    assert answer.status == 200, answer.body
    assert HEADER not in answer.headers


async def test_ignored_chat_fields_are_named_in_the_answer_header(
    client: openai.AsyncOpenAI,
) -> None:
    async with asyncio.timeout(SDK_TIMEOUT):
        raw = await client.chat.completions.with_raw_response.create(
            model=MODEL,
            messages=USER,  # type: ignore[arg-type]
            reasoning_effort="low",
            logit_bias={"50256": -100},
            prediction={"type": "content", "content": "Hi"},
        )
    assert raw.headers[HEADER] == "reasoning_effort,logit_bias,prediction"


async def test_a_streamed_answer_names_its_ignored_fields_too(gateway: str) -> None:
    answer = await fetch(
        "POST",
        f"{gateway}/v1/chat/completions",
        json=body_of(stream=True, service_tier="flex", user="u1"),
    )
    assert answer.status == 200
    assert answer.headers[HEADER] == "user,service_tier"


async def test_a_request_with_only_honoured_fields_has_no_ignored_header(gateway: str) -> None:
    answer = await fetch("POST", f"{gateway}/v1/chat/completions", json=body_of(temperature=0.5))
    assert answer.status == 200
    assert HEADER not in answer.headers


async def test_responses_name_their_ignored_fields_and_refuse_log_probabilities(
    gateway: str, emu: Emulator
) -> None:
    url = f"{gateway}/v1/responses"
    named = await fetch(
        "POST", url, json={"model": MODEL, "input": "Hi", "reasoning": {"effort": "low"}}
    )
    assert named.status == 200
    assert named.headers[HEADER] == "reasoning"
    refused = await fetch("POST", url, json={"model": MODEL, "input": "Hi", "top_logprobs": 2})
    assert assert_openai_error(refused, 400)["param"] == "top_logprobs"
    assert len(emu.requests) == 1


async def test_messages_name_their_ignored_fields(gateway: str) -> None:
    answer = await fetch(
        "POST",
        f"{gateway}/v1/messages",
        json={
            "model": MODEL,
            "max_tokens": 50,
            "messages": USER,
            "top_k": 5,
            "thinking": {"type": "enabled", "budget_tokens": 2000},
            "output_config": {"effort": "high"},
        },
    )
    assert answer.status == 200, answer.body
    assert answer.headers[HEADER] == "thinking,top_k,output_config.effort"


def test_every_unhonoured_field_has_a_reason_and_an_api() -> None:
    for option in CHAT_OPTIONS:
        if option.gateway != "pass":
            assert option.apis and option.doc, option.name
    assert {o.name for o in unhonoured_fields("messages")} >= {"thread", "top_k"}


async def test_the_openapi_document_lists_the_unhonoured_fields_of_each_api(
    gateway: str,
) -> None:
    schemas = (await fetch("GET", f"{gateway}/openapi.json")).json()["components"]["schemas"]
    for api, name in (
        ("chat", "ChatCompletionRequest"),
        ("responses", "ResponsesRequest"),
        ("messages", "MessagesRequest"),
    ):
        properties = schemas[name]["properties"]
        for option in unhonoured_fields(api):  # type: ignore[arg-type]
            assert option.doc in properties[option.name]["description"], (api, option.name)


async def test_a_messages_thread_is_refused_with_the_code_anthropic_sdks_recover_from(
    gateway: str, emu: Emulator
) -> None:
    answer = await fetch(
        "POST",
        f"{gateway}/v1/messages",
        json={"model": MODEL, "max_tokens": 50, "messages": USER, "thread": {"type": "create"}},
    )
    assert answer.status == 400
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["details"] == {
        "error_code": "thread_unsupported_request",
        "unsupported": ["thread"],
    }
    assert emu.requests == []


async def test_anthropic_tool_runner_sends_the_whole_conversation_after_the_thread_refusal(
    gateway: str, emu: Emulator
) -> None:
    from anthropic import beta_tool

    @beta_tool
    def add(a: int, b: int) -> str:
        """Add two numbers.

        Args:
            a: The first.
            b: The second.
        """
        return str(a + b)

    emu.push_reply(
        '{"tool_calls": [{"name": "add", "arguments": {"a": 2, "b": 3}}]}',
        '{"content": "It is 5."}',
    )
    sdk = anthropic.Anthropic(base_url=gateway, api_key="x", max_retries=0, timeout=SDK_TIMEOUT)
    question = "What is 2 + 3? Use the add tool."

    def run() -> list[anthropic.types.beta.BetaMessage]:
        runner = sdk.beta.messages.tool_runner(
            model=MODEL,
            max_tokens=200,
            tools=[add],
            messages=[{"role": "user", "content": question}],
            max_iterations=3,
        )
        return list(runner)

    try:
        async with asyncio.timeout(SDK_TIMEOUT * 2):
            replies = await asyncio.to_thread(run)
    finally:
        sdk.close()
    assert replies[-1].content[0].text == "It is 5."  # type: ignore[union-attr]
    assert len(emu.requests) == 2
    second = prompt_of(emu)
    second_system = emu.requests[1].query.get("system", "")
    assert question in second
    assert "add" in second_system + second
    assert "5" in second


async def test_x_should_retry_false_is_on_what_a_retry_cannot_fix(gateway: str) -> None:
    refused = await fetch("POST", f"{gateway}/v1/chat/completions", json=body_of(logprobs=True))
    assert refused.headers["x-should-retry"] == "false"
    missing = await fetch("GET", f"{gateway}/v1/nowhere")
    assert missing.headers["x-should-retry"] == "false"
    anthropic_refused = await fetch("POST", f"{gateway}/v1/messages", json={"messages": USER})
    assert anthropic_refused.status == 400
    assert anthropic_refused.headers["x-should-retry"] == "false"


async def test_the_openai_sdk_does_not_retry_an_invalid_model_output(
    gateway: str, emu: Emulator
) -> None:
    emu.push_reply("prose", "more prose")
    sdk = openai.AsyncOpenAI(base_url=f"{gateway}/v1", api_key="x", max_retries=2)
    try:
        with pytest.raises(openai.InternalServerError) as caught:
            async with asyncio.timeout(SDK_TIMEOUT):
                await sdk.chat.completions.create(
                    model=MODEL,
                    messages=USER,  # type: ignore[arg-type]
                    response_format={
                        "type": "json_schema",
                        "json_schema": {"name": "n", "schema": {"type": "object"}},
                    },
                )
    finally:
        await sdk.close()
    assert caught.value.status_code == 502
    assert caught.value.response.headers["x-should-retry"] == "false"
    # One call: the first try and its repair round, no SDK retry spending four more.
    assert len(emu.requests) == 2


async def test_a_rate_limited_answer_leaves_the_retry_to_the_sdk(
    gateway: str, emu: Emulator
) -> None:
    emu.push(Fault.rate_limited(retry_after=1))
    answer = await fetch("POST", f"{gateway}/v1/chat/completions", json=body_of())
    assert answer.status == 429
    assert "x-should-retry" not in answer.headers


def test_an_error_body_is_still_one_json_object() -> None:
    from aiodynaspark.server._errors import GatewayError

    error = GatewayError(400, "bad")
    assert dict(error.all_headers)["x-should-retry"] == "false"
    assert json.loads(error.body())["error"]["message"] == "bad"


async def test_anthropic_parse_gets_its_output_format_as_the_schema_asks(
    gateway: str, emu: Emulator
) -> None:
    from pydantic import BaseModel

    class Person(BaseModel):
        name: str
        age: int

    emu.push_reply('{"name": "Ada", "age": 36}')
    sdk = anthropic.AsyncAnthropic(base_url=gateway, api_key="x", max_retries=0)
    try:
        async with asyncio.timeout(SDK_TIMEOUT):
            parsed = await sdk.messages.parse(
                model=MODEL, max_tokens=100, messages=USER, output_format=Person
            )
    finally:
        await sdk.close()
    assert parsed.parsed_output == Person(name="Ada", age=36)
    asked = emu.requests[0].query.get("system", "") + emu.requests[0].form.get("user_input", "")
    assert '"age"' in asked


async def test_an_output_config_answer_off_schema_is_repaired_once(
    gateway: str, emu: Emulator
) -> None:
    emu.push_reply('{"name": "Ada"}', '{"name": "Ada", "age": 36}')
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    answer = await fetch(
        "POST",
        f"{gateway}/v1/messages",
        json={
            "model": MODEL,
            "max_tokens": 100,
            "messages": USER,
            "output_config": {"format": {"type": "json_schema", "schema": schema}},
        },
    )
    assert answer.status == 200, answer.body
    assert json.loads(answer.json()["content"][0]["text"]) == {"name": "Ada", "age": 36}
    assert len(emu.requests) == 2


async def test_a_messages_prefill_is_continued_not_answered_anew(
    gateway: str, emu: Emulator
) -> None:
    emu.push_reply(" two, three.")
    answer = await fetch(
        "POST",
        f"{gateway}/v1/messages",
        json={
            "model": MODEL,
            "max_tokens": 50,
            "messages": [
                {"role": "user", "content": "Count to three."},
                {"role": "assistant", "content": "One,"},
            ],
        },
    )
    assert answer.status == 200, answer.body
    assert answer.json()["content"] == [{"type": "text", "text": " two, three."}]
    assert prompt_of(emu).endswith("Assistant: One,")


async def test_a_chat_prefill_is_continued_not_answered_anew(
    client: openai.AsyncOpenAI, emu: Emulator
) -> None:
    emu.push_reply(" two, three.")
    async with asyncio.timeout(SDK_TIMEOUT):
        done = await client.chat.completions.create(
            model=MODEL,
            messages=[
                {"role": "user", "content": "Count to three."},
                {"role": "assistant", "content": "One,"},
            ],
        )
    assert done.choices[0].message.content == " two, three."
    assert prompt_of(emu).endswith("User: Count to three.\nAssistant: One,")


async def test_cors_preflight_allows_the_official_sdks_headers(start_gateway: object) -> None:
    sent = (
        "authorization,content-type,x-stainless-os,x-stainless-lang,x-stainless-arch,"
        "x-stainless-runtime,x-stainless-runtime-version,x-stainless-package-version,"
        "x-stainless-retry-count,x-stainless-timeout,anthropic-version,"
        "anthropic-dangerous-direct-browser-access"
    )
    async with start_gateway(cors_origins=["https://chat.example"]) as root:  # type: ignore[operator]
        answer = await fetch(
            "OPTIONS",
            f"{root}/v1/chat/completions",
            headers={
                "Origin": "https://chat.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": sent,
            },
        )
    assert answer.status == 200, answer.body
    assert answer.headers["access-control-allow-origin"] == "https://chat.example"


def test_the_gateway_page_lists_every_unhonoured_field_as_declared() -> None:
    from pathlib import Path

    page = (Path(__file__).parents[2] / "docs" / "gateway.md").read_text(encoding="utf-8")
    section = page.split("### Fields it cannot honour", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 4:
            rows[cells[0].strip("`")] = (cells[1], cells[2].split(",")[0], cells[3])
    declared = {
        option.name: (
            ", ".join(option.apis),
            "refused" if option.gateway == "refuse" else "ignored",
            option.doc.removeprefix("Ignored: ").removeprefix("Refused: "),
        )
        for option in CHAT_OPTIONS
        if option.gateway != "pass"
    }
    assert rows == declared
