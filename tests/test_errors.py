"""The error tree and the mapping of answers onto it."""

import pytest

import aiodynaspark
from aiodynaspark import errors
from aiodynaspark._errors import extract_server_message, parse_retry_after, status_error


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
