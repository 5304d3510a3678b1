"""Settings: keyword beats environment beats default, read at call time."""

import pytest

from aiodynaspark import InvalidRequestError
from aiodynaspark._config import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, redact_url, resolve_settings


def test_defaults_without_environment() -> None:
    settings = resolve_settings(environ={})
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.timeout == DEFAULT_TIMEOUT
    assert settings.max_retries == 2
    assert settings.api_key is None


def test_environment_is_read_when_resolving() -> None:
    env = {
        "DYNASPARK_BASE_URL": "http://127.0.0.1:9/",
        "DYNASPARK_API_KEY": "k",
        "DYNASPARK_TIMEOUT": "5",
        "DYNASPARK_MAX_RETRIES": "0",
    }
    settings = resolve_settings(environ=env)
    assert (settings.base_url, settings.api_key, settings.timeout, settings.max_retries) == (
        "http://127.0.0.1:9",
        "k",
        5.0,
        0,
    )


def test_keywords_beat_the_environment() -> None:
    env = {"DYNASPARK_BASE_URL": "http://a", "DYNASPARK_TIMEOUT": "5", "DYNASPARK_MAX_RETRIES": "4"}
    settings = resolve_settings(base_url="http://b", timeout=7, max_retries=1, environ=env)
    assert (settings.base_url, settings.timeout, settings.max_retries) == ("http://b", 7.0, 1)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"timeout": 0}, "positive"),
        ({"timeout": "soon"}, "number of seconds"),
        ({"max_retries": -1}, "whole number"),
        ({"max_retries": True}, "whole number"),
        ({"base_url": "ftp://x"}, "http://"),
        ({"proxy": "socks5://x"}, "HTTP proxies only"),
        ({"connection_limit": 0}, "at least 1"),
    ],
)
def test_malformed_settings_are_refused(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(InvalidRequestError, match=fragment):
        resolve_settings(environ={}, **kwargs)  # type: ignore[arg-type]


def test_malformed_environment_names_the_variable() -> None:
    with pytest.raises(InvalidRequestError, match="DYNASPARK_TIMEOUT"):
        resolve_settings(environ={"DYNASPARK_TIMEOUT": "abc"})


def test_repr_hides_the_key_and_proxy_credentials() -> None:
    settings = resolve_settings(api_key="sk-secret", proxy="http://user:pw@proxy:3128", environ={})
    text = repr(settings)
    assert "sk-secret" not in text and "pw" not in text
    assert redact_url("http://user:pw@proxy:3128/x") == "http://***@proxy:3128/x"
    assert redact_url("http://proxy:3128") == "http://proxy:3128"


@pytest.mark.parametrize(
    "keyword",
    [
        "base_url",
        "api_key",
        "timeout",
        "max_retries",
        "deadline",
        "proxy",
        "max_retry_wait",
        "connection_limit",
        "backoff_base",
        "limits",
    ],
)
def test_an_unhashable_value_is_refused_as_bad_input_not_a_type_error(keyword: str) -> None:
    with pytest.raises(InvalidRequestError, match=keyword) as refused:
        resolve_settings(**{keyword: ["secret-value"]})  # type: ignore[arg-type]
    if keyword == "api_key":
        assert "secret-value" not in str(refused.value)
