"""The error tree and the mapping of answers onto it."""

import typing

import pytest

import aiodynaspark
from aiodynaspark import errors
from aiodynaspark._wire._retry import RetryPolicy
from aiodynaspark._wire._status_errors import (
    extract_server_message,
    parse_retry_after,
    status_error,
)


def test_tree_matches_the_interface() -> None:
    assert issubclass(errors.InvalidRequestError, ValueError)
    for child, parent in [
        (errors.InvalidRequestError, errors.DynasparkError),
        (errors.ModelNotSupportedError, errors.InvalidRequestError),
        (errors.MediaError, errors.InvalidRequestError),
        (errors.APIConnectionError, errors.DynasparkError),
        (errors.APITimeoutError, errors.APIConnectionError),
        (errors.APIStatusError, errors.DynasparkError),
        (errors.AuthenticationError, errors.APIStatusError),
        (errors.RateLimitError, errors.APIStatusError),
        (errors.CloudflareError, errors.APIStatusError),
        (errors.ServiceUnavailableError, errors.APIStatusError),
        (errors.ResponseError, errors.DynasparkError),
    ]:
        assert issubclass(child, parent)
        assert getattr(aiodynaspark, child.__name__) is child


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"error": "bad model"}', "bad model"),
        ('{"error": {"message": "nested"}}', "nested"),
        ('{"detail": "fastapi style"}', "fastapi style"),
        ("<html><head><title>Service  Unavailable</title></head></html>", "Service Unavailable"),
        ("plain words\n here", "plain words here"),
        ("", None),
        ("{not json", "{not json"),
    ],
)
def test_server_message_is_read_from_every_body_shape(body: str, message: str | None) -> None:
    assert extract_server_message(body) == message


def test_retry_after_seconds_date_and_reset() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after({"retry-after": "7"}, now=now) == 7.0
    assert parse_retry_after({"retry-after": "Tue, 14 Nov 2023 22:13:30 GMT"}, now=now) == 10.0
    assert parse_retry_after({"x-ratelimit-reset": str(now + 30)}, now=now) == 30.0
    assert parse_retry_after({"retry-after": "garbage"}, now=now) is None
    assert parse_retry_after({}, now=now) is None


@pytest.mark.parametrize(
    ("status", "body", "headers", "kind"),
    [
        (401, '{"error": "Invalid API key"}', {}, errors.AuthenticationError),
        (403, '{"error": "forbidden"}', {}, errors.AuthenticationError),
        (403, "<title>Just a moment...</title>", {}, errors.CloudflareError),
        (503, "x", {"cf-mitigated": "challenge"}, errors.CloudflareError),
        (429, '{"error": "slow down"}', {"retry-after": "3"}, errors.RateLimitError),
        (502, "bad gateway", {}, errors.ServiceUnavailableError),
        (503, "<title>Service waking up</title>", {}, errors.ServiceUnavailableError),
        (504, "", {}, errors.ServiceUnavailableError),
        (400, '{"error": "user_input is required"}', {}, errors.APIStatusError),
        (500, "boom", {}, errors.APIStatusError),
    ],
)
def test_status_picks_the_subclass_and_keeps_the_message(
    status: int, body: str, headers: dict[str, str], kind: type[errors.APIStatusError]
) -> None:
    error = status_error(status, body, headers, url="http://x/generate_response", now=0.0)
    assert type(error) is kind
    assert error.status_code == status
    assert error.body == body
    assert f"HTTP {status}" in str(error)
    if error.server_message and kind is not errors.CloudflareError:
        assert error.server_message in str(error)
    if kind is errors.RateLimitError:
        assert isinstance(error, errors.RateLimitError) and error.retry_after == 3.0


_STATUS_CLASSES = [
    errors.AuthenticationError,
    errors.RateLimitError,
    errors.CloudflareError,
    errors.ServiceUnavailableError,
]


@pytest.mark.parametrize("kind", _STATUS_CLASSES)
def test_each_status_class_declares_the_statuses_it_is_built_for(
    kind: type[errors.APIStatusError],
) -> None:
    declared = set(typing.get_args(typing.get_type_hints(kind)["status_code"]))
    assert declared, f"{kind.__name__}.status_code is not a Literal"
    # Whatever the body, a status outside the class's Literal never yields that class.
    for status in range(400, 600):
        for body, headers in (("", {}), ("<title>Just a moment...</title>", {})):
            error = status_error(status, body, headers, url="http://x/", now=0.0)
            if type(error) is kind:
                assert status in declared, (kind.__name__, status)


def test_status_error_fields_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        errors.APIStatusError("HTTP 500", 500)  # type: ignore[misc]
    with pytest.raises(TypeError):
        errors.RateLimitError("HTTP 429", 429)  # type: ignore[misc]


def test_a_restated_error_keeps_every_attribute_and_leaves_the_original_alone() -> None:
    original = status_error(
        429, '{"error": "slow"}', {"retry-after": "3"}, url="http://x/", now=0.0
    )
    assert isinstance(original, errors.RateLimitError)
    before = (str(original), original.args, original.message)

    copy = original.restated("Every provider failed.")

    assert (str(original), original.args, original.message) == before
    assert type(copy) is errors.RateLimitError and str(copy) == "Every provider failed."
    assert copy.message == "Every provider failed."
    assert (copy.status_code, copy.body, copy.headers) == (429, original.body, original.headers)
    assert (copy.server_message, copy.retry_after) == ("slow", 3.0)


def test_a_too_long_wait_raises_a_new_error_and_leaves_the_answer_error_alone() -> None:
    answer = status_error(429, "", {"retry-after": "600"}, url="http://x/", now=0.0)
    before = (str(answer), answer.args)

    with pytest.raises(errors.RateLimitError, match="longer than max_retry_wait") as caught:
        RetryPolicy(max_wait=30).wait_before_retry(0, answer)

    assert caught.value is not answer and caught.value.__cause__ is answer
    assert (str(answer), answer.args) == before
    assert caught.value.retry_after == 600.0
