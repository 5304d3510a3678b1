"""The gateway's errors: each library error's status, type, code and words, in the OpenAI and
Anthropic shapes, and the upstream wait passed on in whole seconds, never rounded down to zero.

Each row and bound here once let a mutation of ``server/_errors.py`` pass (docs/testing.md,
"Mutation testing").
"""

import json
import logging

import pytest

from aiodynaspark import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    CloudflareError,
    DynasparkError,
    InvalidModelOutputError,
    InvalidRequestError,
    MediaError,
    ModelNotSupportedError,
    RateLimitError,
    ResponseError,
    ServiceUnavailableError,
)
from aiodynaspark._wire._status_errors import status_error
from aiodynaspark.server._errors import (
    GatewayError,
    anthropic_error_body,
    from_exception,
    from_library_error,
)
from aiodynaspark.testing import Emulator, Fault
from support.gateway import fetch

CHAT = {"messages": [{"role": "user", "content": "hi"}]}

# The gateway's table from library errors to OpenAI- and Anthropic-shaped answers.
ROWS = [
    (
        RateLimitError("spent", server_message="slow down"),
        (429, "rate_limit_error", "rate_limit_exceeded", None),
        "Dynaspark's rate limit is spent (HTTP 429: slow down); retry later.",
    ),
    (
        AuthenticationError("bad key", status_code=401),
        (502, "api_error", "upstream_auth_failed", None),
        "Dynaspark refused the gateway's upstream credential (HTTP 401). This is a problem "
        "with the gateway's configuration (its upstream API key), not with your request or "
        "your API key.",
    ),
    (
        CloudflareError("challenge", status_code=403),
        (502, "api_error", "upstream_blocked", None),
        "A Cloudflare bot challenge answered instead of Dynaspark (HTTP 403); retrying soon "
        "will not help.",
    ),
    (
        ServiceUnavailableError("down", status_code=503),
        (503, "api_error", "upstream_unavailable", None),
        "Dynaspark is unavailable (HTTP 503); the host may be waking up, which can take about "
        "a minute. Retry shortly.",
    ),
    (
        APIStatusError("timed out", status_code=408),
        (504, "api_error", "upstream_timeout", None),
        "Dynaspark timed out the request (HTTP 408).",
    ),
    (
        APIStatusError("conflict", status_code=409, server_message="busy"),
        (400, "invalid_request_error", "upstream_refused", None),
        "Dynaspark refused the request (HTTP 409: busy).",
    ),
    (
        APIStatusError("boom", status_code=500),
        (502, "api_error", "upstream_error", None),
        "Dynaspark failed (HTTP 500).",
    ),
    (
        ModelNotSupportedError("No model 'gpt-9'."),
        (404, "invalid_request_error", "model_not_found", "model"),
        "No model 'gpt-9'.",
    ),
    (
        MediaError("Not an image."),
        (400, "invalid_request_error", "invalid_image", "messages"),
        "Not an image.",
    ),
    (
        InvalidRequestError("temperature is 9."),
        (400, "invalid_request_error", None, None),
        "temperature is 9.",
    ),
    (
        APITimeoutError("slow"),
        (504, "api_error", "upstream_timeout", None),
        "Dynaspark did not answer in time.",
    ),
    (
        APIConnectionError("refused"),
        (502, "api_error", "upstream_unreachable", None),
        "The gateway could not reach Dynaspark, or the connection broke.",
    ),
    (
        InvalidModelOutputError("bad", errors=["one", "two", "three", "four"], output="x"),
        (502, "api_error", "invalid_model_output", None),
        "The model's answer did not follow the requested tool calls or JSON schema, even "
        "after one repair round (one; two; three). Retry, or simplify the tools or schema.",
    ),
    (
        ResponseError("An event is larger than 10 bytes (Limits.max_event_bytes)."),
        (502, "api_error", "upstream_bad_response", None),
        "Dynaspark's answer went over the gateway's bound Limits.max_event_bytes and was "
        "stopped; the answer is incomplete.",
    ),
    (
        ResponseError("Not JSON."),
        (502, "api_error", "upstream_bad_response", None),
        "Dynaspark's answer was not a valid answer, or its stream broke before the end; the "
        "answer is incomplete.",
    ),
    (
        DynasparkError("other"),
        (502, "api_error", "upstream_error", None),
        "Dynaspark failed.",
    ),
]


@pytest.mark.parametrize(("error", "fields", "message"), ROWS)
def test_each_library_error_has_its_status_type_code_and_words(
    error: DynasparkError, fields: tuple[int, str, str | None, str | None], message: str
) -> None:
    answer = from_library_error(error)
    assert (answer.status, answer.type, answer.code, answer.param) == fields
    assert answer.message == message


def test_upstream_message_is_quoted_up_to_300_characters() -> None:
    def quoted(said: str) -> str:
        return from_library_error(APIStatusError("x", status_code=500, server_message=said)).message

    assert quoted("y" * 300) == f"Dynaspark failed (HTTP 500: {'y' * 300})."
    assert quoted("y" * 301) == f"Dynaspark failed (HTTP 500: {'y' * 300}...)."


def test_input_error_is_echoed_up_to_1000_characters() -> None:
    def echoed(text: str) -> str:
        return from_library_error(InvalidRequestError(text)).message

    assert echoed("z" * 1000) == "z" * 1000
    assert echoed("z" * 1001) == "z" * 1000 + "... (cut)"


@pytest.mark.parametrize(("seconds", "header"), [(0.0, "0"), (0.4, "1"), (2.0, "2")])
def test_rate_limit_wait_is_passed_on_in_whole_seconds_rounded_up(
    seconds: float, header: str
) -> None:
    answer = from_library_error(RateLimitError("spent", retry_after=seconds))
    assert answer.headers == (("retry-after", header),)


async def test_gateway_passes_a_503_retry_after_on(gateway: str, emu: Emulator) -> None:
    emu.push(Fault.status(503, headers={"Retry-After": "7"}))
    answer = await fetch("POST", gateway + "/v1/chat/completions", json=CHAT)
    assert answer.status == 503
    assert answer.headers["retry-after"] == "7"


def test_fractional_retry_after_is_rounded_up_not_to_zero() -> None:
    error = status_error(429, "{}", {"retry-after": "0.4"}, url="http://x", now=0.0)
    assert dict(from_library_error(error).headers)["retry-after"] == "1"


def test_unexpected_error_is_logged_with_its_traceback_and_kept_from_the_caller(
    caplog: pytest.LogCaptureFixture,
) -> None:
    error = ValueError("secret detail")
    with caplog.at_level(logging.ERROR, logger="aiodynaspark.server"):
        answer = from_exception(error)
    assert (answer.status, answer.type) == (500, "server_error")
    assert "secret detail" not in answer.message
    [record] = caplog.records
    assert record.getMessage() == "unexpected error: ValueError"
    assert record.exc_info is not None
    assert record.exc_info[1] is error


async def test_raw_asgi_answer_has_the_body_its_length_and_extra_headers() -> None:
    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    error = GatewayError(503, "busy", "api_error", headers=(("retry-after", "3"),))
    await error.send(send, "/v1/chat/completions")  # type: ignore[arg-type]
    body = error.body()
    assert json.loads(body)["error"]["message"] == "busy"
    assert sent == [
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"3"),
            ],
        },
        {"type": "http.response.body", "body": body, "more_body": False},
    ]


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (403, "permission_error"),
        (404, "not_found_error"),
        (413, "request_too_large"),
        (429, "rate_limit_error"),
        (503, "overloaded_error"),
        (499, "invalid_request_error"),
        (500, "api_error"),
        (502, "api_error"),
    ],
)
def test_anthropic_error_body_takes_the_type_of_its_status(status: int, kind: str) -> None:
    body = anthropic_error_body(GatewayError(status, "said"))
    assert json.loads(body) == {"type": "error", "error": {"type": kind, "message": "said"}}
