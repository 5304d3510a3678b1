"""Every failure reaches the caller as OpenAI would give it: status, body, SDK exception."""

import asyncio
import json
from collections.abc import AsyncIterator

import openai
import pytest

from aiodynaspark.testing import Emulator, Fault, answer_for
from support.gateway import GatewayFactory, assert_openai_error, fetch, sdk
from support.media import PNG, data_uri

HI = [{"role": "user", "content": "Hi"}]


async def test_upstream_rate_limit_is_429_with_retry_after(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    emu.push(Fault.rate_limited(retry_after=2))
    with pytest.raises(openai.RateLimitError) as caught:
        await client.chat.completions.create(model="gemini-1.5-flash", messages=HI)
    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "2"
    assert caught.value.code == "rate_limit_exceeded"


async def test_upstream_503_is_503(emu: Emulator, client: openai.AsyncOpenAI) -> None:
    emu.push(Fault.status(503, "Service Unavailable"))
    with pytest.raises(openai.InternalServerError) as caught:
        await client.chat.completions.create(model="gemini-1.5-flash", messages=HI)
    assert caught.value.status_code == 503
    assert caught.value.code == "upstream_unavailable"


async def test_waking_host_page_is_503(emu: Emulator, client: openai.AsyncOpenAI) -> None:
    emu.push(Fault.waking())
    with pytest.raises(openai.InternalServerError) as caught:
        await client.chat.completions.create(model="gemini-1.5-flash", messages=HI)
    assert caught.value.status_code == 503


async def test_upstream_timeout_is_504(emu: Emulator, start_gateway: GatewayFactory) -> None:
    emu.push(Fault.hang(5.0))
    async with start_gateway(timeout=0.3) as root, sdk(root) as client:
        with pytest.raises(openai.InternalServerError) as caught:
            await client.chat.completions.create(model="gemini-1.5-flash", messages=HI)
    assert caught.value.status_code == 504
    assert caught.value.code == "upstream_timeout"


async def test_upstream_credential_refused_is_502_and_says_it_is_the_gateway(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    emu.push(Fault.status(401, "Invalid API key"))
    with pytest.raises(openai.InternalServerError) as caught:
        await client.chat.completions.create(model="gemini-1.5-flash", messages=HI)
    assert caught.value.status_code == 502
    assert caught.value.code == "upstream_auth_failed"
    assert "gateway" in caught.value.message


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        (Fault.cloudflare(), "upstream_blocked"),
        (Fault.not_json(), "upstream_bad_response"),
        (Fault.drop(), "upstream_unreachable"),
        (Fault.status(500, "boom"), "upstream_error"),
    ],
)
async def test_other_upstream_failures_are_502(
    emu: Emulator, client: openai.AsyncOpenAI, fault: Fault, code: str
) -> None:
    emu.push(fault)
    with pytest.raises(openai.InternalServerError) as caught:
        await client.chat.completions.create(model="gemini-1.5-flash", messages=HI)
    assert caught.value.status_code == 502
    assert caught.value.code == code
    assert emu.url not in caught.value.message  # the upstream address stays private


async def test_upstream_refusing_the_request_is_400_with_its_message(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    emu.push(Fault.status(400, "user_input is too long"))
    with pytest.raises(openai.BadRequestError) as caught:
        await client.chat.completions.create(model="gemini-1.5-flash", messages=HI)
    assert caught.value.code == "upstream_refused"
    assert "user_input is too long" in caught.value.message


async def test_unknown_model_is_404_model_not_found(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        await client.chat.completions.create(model="gpt-9", messages=HI)
    assert caught.value.code == "model_not_found"
    assert caught.value.param == "model"


async def test_out_of_range_option_is_400(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await client.chat.completions.create(model="gemini-1.5-flash", messages=HI, temperature=7.0)
    assert caught.value.param == "temperature"


async def test_input_the_library_refuses_is_400(client: openai.AsyncOpenAI) -> None:
    # An image together with sampling options: no Dynaspark endpoint takes both.
    with pytest.raises(openai.BadRequestError) as caught:
        await client.chat.completions.create(
            model="gemini-1.5-flash",
            temperature=0.2,
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What?"},
                        {"type": "image_url", "image_url": {"url": data_uri(PNG)}},
                    ],
                }
            ],
        )
    assert caught.value.type == "invalid_request_error"


async def test_not_an_image_is_400(client: openai.AsyncOpenAI) -> None:
    part = {"type": "image_url", "image_url": {"url": data_uri(b"not an image at all")}}
    with pytest.raises(openai.BadRequestError) as caught:
        await client.chat.completions.create(
            model="gemini-1.5-flash",
            messages=[{"role": "user", "content": [{"type": "text", "text": "?"}, part]}],
        )
    assert caught.value.code == "invalid_image"


async def test_malformed_json_is_400_in_openai_shape(gateway: str) -> None:
    answer = await fetch(
        "POST",
        f"{gateway}/v1/chat/completions",
        data=b'{"messages": [',
        headers={"content-type": "application/json"},
    )
    error = assert_openai_error(answer, 400)
    assert "JSON" in error["message"]


async def test_missing_field_is_400_naming_the_field(gateway: str) -> None:
    answer = await fetch("POST", f"{gateway}/v1/chat/completions", json={"model": "x"})
    error = assert_openai_error(answer, 400)
    assert error["param"] == "messages"
    assert error["type"] == "invalid_request_error"


async def test_body_without_json_content_type_is_400_saying_so(gateway: str) -> None:
    answer = await fetch(
        "POST",
        f"{gateway}/v1/chat/completions",
        data=b'{"messages": [{"role": "user", "content": "Hi"}]}',
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    error = assert_openai_error(answer, 400)
    assert "Content-Type: application/json" in error["message"]


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "Application/JSON", "application/vnd.x+json"],
)
async def test_every_json_content_type_is_read_as_json(gateway: str, content_type: str) -> None:
    answer = await fetch(
        "POST",
        f"{gateway}/v1/chat/completions",
        data=b'{"model": "gemini-1.5-flash", "messages": [{"role": "user", "content": "Hi"}]}',
        headers={"content-type": content_type},
    )
    assert answer.status == 200
    assert answer.json()["choices"][0]["message"]["content"] == answer_for("gemini-1.5-flash", "Hi")


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/responses", "/v1/messages"])
async def test_a_json_body_that_is_not_an_object_is_400(gateway: str, path: str) -> None:
    answer = await fetch(
        "POST", gateway + path, data=b"[1, 2]", headers={"content-type": "application/json"}
    )
    assert answer.status == 400


@pytest.mark.parametrize("field", ["content", "system"])
async def test_text_with_a_lone_surrogate_is_400_not_500(
    emu: Emulator, gateway: str, field: str
) -> None:
    body = b'{"messages": [{"role": "user", "content": "Hi"}], "system": "Be brief"}'
    body = body.replace(b'"Hi"' if field == "content" else b'"Be brief"', b'"bad \\ud800"')
    answer = await fetch(
        "POST",
        f"{gateway}/v1/chat/completions",
        data=body,
        headers={"content-type": "application/json"},
    )
    error = assert_openai_error(answer, 400)
    assert "surrogate" in error["message"]
    assert emu.requests == []


async def test_unknown_route_and_wrong_method_are_openai_errors(gateway: str) -> None:
    assert_openai_error(await fetch("GET", f"{gateway}/v1/nothing-here"), 404)
    wrong = await fetch("GET", f"{gateway}/v1/chat/completions")
    assert_openai_error(wrong, 405)
    assert "POST" in wrong.headers["allow"]


async def test_body_over_the_limit_is_413(start_gateway: GatewayFactory) -> None:
    async with start_gateway(max_body_bytes=50_000) as root, sdk(root) as client:
        with pytest.raises(openai.APIStatusError) as caught:
            await client.chat.completions.create(
                model="gemini-1.5-flash",
                messages=[{"role": "user", "content": "x" * 60_000}],
            )
        # Within the limit, the same gateway answers.
        await client.chat.completions.create(model="gemini-1.5-flash", messages=HI)
    assert caught.value.status_code == 413
    assert caught.value.code == "request_too_large"


async def test_chunked_body_over_the_limit_is_413_while_read(
    start_gateway: GatewayFactory,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"messages": [{"role": "user", "content": "'
        for _ in range(10):
            yield b"x" * 10_000
        yield b'"}]}'

    async with start_gateway(max_body_bytes=50_000) as root:
        answer = await fetch(
            "POST",
            f"{root}/v1/chat/completions",
            data=chunks(),
            headers={"content-type": "application/json"},
        )
    assert_openai_error(answer, 413)


async def test_stream_cut_mid_way_ends_with_an_error_event(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    emu.push(Fault.cut_stream(after=2))
    stream = await client.chat.completions.create(
        model="gemini-1.5-flash",
        messages=[{"role": "user", "content": "a fairly long prompt to cut"}],
        stream=True,
    )
    received = []
    with pytest.raises(openai.APIError) as caught:
        async for chunk in stream:
            received.append(chunk)
    assert received  # the pieces before the cut were forwarded
    assert "incomplete" in caught.value.message


async def test_raw_cut_stream_has_error_event_and_no_done(emu: Emulator, gateway: str) -> None:
    emu.push(Fault.cut_stream(after=2))
    body = {"messages": [{"role": "user", "content": "a b c d e f"}], "stream": True}
    answer = await fetch("POST", f"{gateway}/v1/chat/completions", json=body)
    events = [e for e in answer.text.split("\n\n") if e]
    assert "data: [DONE]" not in events
    last = json.loads(events[-1].removeprefix("data: "))
    assert last["error"]["type"] == "api_error"
    assert last["error"]["code"] == "upstream_bad_response"


async def test_stream_failing_before_its_first_piece_gets_a_real_status(
    emu: Emulator, client: openai.AsyncOpenAI
) -> None:
    emu.push(Fault.status(503))
    with pytest.raises(openai.InternalServerError) as caught:
        await client.chat.completions.create(model="gemini-1.5-flash", messages=HI, stream=True)
    assert caught.value.status_code == 503


async def test_unexpected_error_is_a_generic_500_without_details(
    gateway: str, client: openai.AsyncOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiodynaspark.client._chat import AsyncCompletions

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(AsyncCompletions, "create", broken)
    with pytest.raises(openai.InternalServerError) as caught:
        await client.chat.completions.create(model="gemini-1.5-flash", messages=HI)
    assert caught.value.status_code == 500
    assert "secret" not in caught.value.message
    assert caught.value.type == "server_error"
    # The gateway keeps serving.
    await asyncio.wait_for(client.models.list(), 10)
