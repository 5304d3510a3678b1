"""Defaults, environment variables and limits, each with where its number comes from."""

import functools
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

from ._errors import InvalidRequestError
from ._limits import DEFAULT_LIMITS, Limits

# The service's public host.
DEFAULT_BASE_URL = "https://dynaspark.onrender.com"

# The host is a Render free-tier app, which takes 30-60 s to wake after idling: a total of 90 s per
# attempt leaves room for a wake-up and a slow answer. Connecting is quick even then.
DEFAULT_TIMEOUT = 90.0
DEFAULT_CONNECT_TIMEOUT = 10.0

# A health check of the host (client.status()): one attempt, no retry. A health page answers
# at once when the host is up; waiting longer than a load balancer's usual 5 s check timeout
# would report a sleeping host as up too late to matter.
DEFAULT_STATUS_TIMEOUT = 5.0

# Retries after the first attempt, as openai-python.
DEFAULT_MAX_RETRIES = 2

# Backoff: full jitter over min(cap, base * 2**attempt) (the AWS architecture blog's
# "exponential backoff and jitter"); a server-asked wait longer than the maximum is raised.
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
DEFAULT_MAX_RETRY_WAIT = 60.0

# One client's connection pool; aiohttp's own default is 100.
DEFAULT_CONNECTION_LIMIT = 100

# One image: the service's own limit is not documented; 20 MiB is Gemini's inline-data cap.
MAX_IMAGE_BYTES = 20 * 1024 * 1024

# Tools and answer shapes, as OpenAI's chat API bounds them: at most 128 tools, names of
# 1-64 letters, digits, "_" or "-", at most 4 stop sequences.
MAX_TOOLS = 128
MAX_STOP_SEQUENCES = 4
# A tool's or answer's JSON schema travels in the prompt; past this size (JSON text) it is
# refused rather than sent, as no model follows a schema that long reliably.
MAX_SCHEMA_CHARS = 64 * 1024
# A caller's schema is data, and its cost is bounded before it is compiled. Nesting: OpenAI's
# strict mode allows 10 levels of objects (about 20 of JSON); 64 leaves room for any real
# schema and keeps every walk far from Python's recursion limit of 1,000.
MAX_SCHEMA_DEPTH = 64
# Values in a schema with every $ref expanded where it is used: 64 KB of JSON holds at most
# about 22,000 values ("{}," each), so 50,000 lets a real schema reuse its definitions while
# a $ref fan-out (two refs to the next of 20 definitions: 2**20 uses) is refused.
MAX_SCHEMA_NODES = 50_000
# A model's answer object: as deep as a schema may be.
MAX_ANSWER_DEPTH = MAX_SCHEMA_DEPTH
# A contract answer is parsed whole on the event loop (about 10 ms a megabyte). Models write
# at most some tens of thousands of tokens (a few hundred kilobytes); a longer answer is refused
# as broken rather than parsed.
MAX_ANSWER_CHARS = 1024 * 1024
# Checking an answer costs at most (schema values, expanded) x (answer values) steps; at the
# 15-30 ns per step measured for jsonschema_rs (benchmarks.attacks) this is about 50 ms.
MAX_VALIDATION_WORK = 2_000_000
# Words for a broken answer against a schema with anyOf or oneOf cost far more per step than
# the check itself (each failed branch is described: about 3 microseconds each, measured with
# jsonschema_rs 0.60); past this much work, about 15 ms, the model is told only that its
# answer does not match. Without those keywords only the first error is worded, as cheaply
# as the check.
MAX_EXPLAINED_WORK = 5_000

LongPrompts: TypeAlias = Literal["web_form", "refuse"]
"""What a chat too long for the REST API's URL does: go by the web form, or be refused."""

# A conversation past the URL budget goes by the web form, which takes it whole; the options
# only the REST API carries are dropped and named. "refuse" keeps them or refuses instead.
DEFAULT_LONG_PROMPTS: LongPrompts = "web_form"

ENV_BASE_URL = "DYNASPARK_BASE_URL"
ENV_API_KEY = "DYNASPARK_API_KEY"
ENV_TIMEOUT = "DYNASPARK_TIMEOUT"
ENV_MAX_RETRIES = "DYNASPARK_MAX_RETRIES"
ENV_DEADLINE = "DYNASPARK_DEADLINE"

# A desktop Chrome user agent, as the site's own page sends.
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)


@dataclass(frozen=True, slots=True)
class Settings:
    """The resolved configuration of one call or one client.

    Attributes:
        base_url: The service root, without a trailing slash.
        api_key: The REST API key, or ``None``.
        timeout: Total seconds per attempt.
        deadline: Seconds one call may take in all (attempts, waits between them and a
            streamed answer), or ``None``: then only ``timeout`` per attempt bounds it.
        connect_timeout: Seconds to open a connection.
        max_retries: Retries after the first attempt.
        max_retry_wait: Longest server-asked wait slept through; longer waits are raised.
        proxy: Outgoing proxy URL, or ``None``.
        trust_env: Whether ``HTTP(S)_PROXY`` from the environment apply.
        connection_limit: Most simultaneous connections in the pool.
        backoff_base: First backoff ceiling in seconds; it doubles each retry up to a cap.
        limits: Bounds on URLs sent and answers read (see :class:`Limits`).
        long_prompts: What a chat too long for the REST API's URL does: ``"web_form"``
            (sent whole by the web form, the options only the REST API takes dropped and
            named) or ``"refuse"`` (refused before any request when it has such options).
    """

    base_url: str = DEFAULT_BASE_URL
    api_key: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    deadline: float | None = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT
    proxy: str | None = None
    trust_env: bool = True
    connection_limit: int = DEFAULT_CONNECTION_LIMIT
    backoff_base: float = BACKOFF_BASE
    limits: Limits = DEFAULT_LIMITS
    long_prompts: LongPrompts = DEFAULT_LONG_PROMPTS

    @property
    def stream_idle_timeout(self) -> float:
        """Seconds a stream may go without content: the limit's, or the total timeout."""
        idle = self.limits.stream_idle_timeout
        return self.timeout if idle is None else float(idle)

    def __repr__(self) -> str:
        # Never show the key or proxy credentials in logs or tracebacks.
        key = "set" if self.api_key else None
        proxy = redact_url(self.proxy) if self.proxy else None
        return (
            f"Settings(base_url={self.base_url!r}, api_key={key!r}, timeout={self.timeout!r}, "
            f"max_retries={self.max_retries!r}, proxy={proxy!r})"
        )


def environment_proxy(url: str) -> str | None:
    """The proxy the environment gives for ``url``, or ``None``.

    The standard library's rules, as aiohttp's own ``trust_env`` applies them:
    ``HTTPS_PROXY``/``HTTP_PROXY`` by the URL's scheme, unless ``NO_PROXY`` exempts the host.
    """
    import urllib.request
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if not proxy or (parts.hostname and urllib.request.proxy_bypass(parts.hostname)):
        return None
    return proxy


def redact_url(url: str) -> str:
    """Return ``url`` with any ``user:password@`` part replaced by ``***@``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    at = rest.rfind("@", 0, rest.find("/") if "/" in rest else len(rest))
    return f"{scheme}://***@{rest[at + 1 :]}" if at >= 0 else url


def _env_number(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    return value.strip() if value and value.strip() else None


def check_timeout(value: object, source: str) -> float:
    """``value`` as a positive, finite number of seconds.

    Raises:
        InvalidRequestError: Anything else (the message names ``source``).
    """
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidRequestError(f"{source} must be a number of seconds, got {value!r}.") from None
    if not math.isfinite(number) or number <= 0:
        raise InvalidRequestError(f"{source} must be a positive number of seconds, got {value!r}.")
    return number


def _check_retries(value: object, source: str) -> int:
    if isinstance(value, bool):
        raise InvalidRequestError(f"{source} must be a whole number from 0, got {value!r}.")
    try:
        number: int = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise InvalidRequestError(
            f"{source} must be a whole number from 0, got {value!r}."
        ) from None
    if number < 0 or (isinstance(value, float) and not value.is_integer()):
        raise InvalidRequestError(f"{source} must be a whole number from 0, got {value!r}.")
    return number


def check_long_prompts(value: object) -> LongPrompts:
    """Check the ``long_prompts`` setting of a client.

    Raises:
        InvalidRequestError: Neither ``"web_form"`` nor ``"refuse"``.
    """
    if value == "web_form" or value == "refuse":
        return value
    raise InvalidRequestError(f"long_prompts must be 'web_form' or 'refuse', got {value!r}.")


def _check_base_url(value: object, source: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError(f"{source} must be an http(s) URL, got {value!r}.")
    url = value.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise InvalidRequestError(f"{source} must start with http:// or https://, got {value!r}.")
    return url


def resolve_settings(
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
    deadline: float | None = None,
    proxy: str | None = None,
    max_retry_wait: float | None = None,
    connection_limit: int | None = None,
    backoff_base: float | None = None,
    trust_env: bool = True,
    limits: Limits | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Merge keywords, the environment and defaults: a keyword beats the environment.

    The environment is read now, at call or client construction time, never at import.

    Raises:
        InvalidRequestError: A keyword or environment value is malformed.
    """
    env = os.environ if environ is None else environ
    # Only the variables a keyword leaves open are read; the checked result is cached on
    # the raw values, as a provider call resolves its settings on every call.
    arguments = (
        base_url,
        api_key,
        timeout,
        max_retries,
        deadline,
        proxy,
        max_retry_wait,
        connection_limit,
        backoff_base,
        trust_env,
        limits,
        env.get(ENV_BASE_URL) if base_url is None else None,
        env.get(ENV_API_KEY) if api_key is None else None,
        env.get(ENV_TIMEOUT) if timeout is None else None,
        env.get(ENV_MAX_RETRIES) if max_retries is None else None,
        env.get(ENV_DEADLINE) if deadline is None else None,
    )
    if _PLAIN_TYPES.issuperset(map(type, arguments)):
        return _cached_settings(*arguments)
    # A value of another type (a list for a URL, say) is never cached: the same checks see
    # it, uncached, and refuse it.
    return _build_settings(*arguments)


def _build_settings(
    base_url: str | None,
    api_key: str | None,
    timeout: float | None,
    max_retries: int | None,
    deadline: float | None,
    proxy: str | None,
    max_retry_wait: float | None,
    connection_limit: int | None,
    backoff_base: float | None,
    trust_env: bool,
    limits: Limits | None,
    env_base_url: str | None,
    env_api_key: str | None,
    env_timeout: str | None,
    env_max_retries: str | None,
    env_deadline: str | None,
) -> Settings:
    env = {
        name: value
        for name, value in (
            (ENV_BASE_URL, env_base_url),
            (ENV_API_KEY, env_api_key),
            (ENV_TIMEOUT, env_timeout),
            (ENV_MAX_RETRIES, env_max_retries),
            (ENV_DEADLINE, env_deadline),
        )
        if value is not None
    }
    if base_url is None:
        base_url = env.get(ENV_BASE_URL) or DEFAULT_BASE_URL
        url = _check_base_url(base_url, ENV_BASE_URL)
    else:
        url = _check_base_url(base_url, "base_url")
    if api_key is None:
        api_key = env.get(ENV_API_KEY) or None
    elif not isinstance(api_key, str):
        raise InvalidRequestError(f"api_key must be a string, got {type(api_key).__name__}.")
    if timeout is not None:
        seconds = check_timeout(timeout, "timeout")
    elif (raw := _env_number(env, ENV_TIMEOUT)) is not None:
        seconds = check_timeout(raw, ENV_TIMEOUT)
    else:
        seconds = DEFAULT_TIMEOUT
    if max_retries is not None:
        retries = _check_retries(max_retries, "max_retries")
    elif (raw := _env_number(env, ENV_MAX_RETRIES)) is not None:
        retries = _check_retries(raw, ENV_MAX_RETRIES)
    else:
        retries = DEFAULT_MAX_RETRIES
    if deadline is not None:
        total: float | None = check_timeout(deadline, "deadline")
    elif (raw := _env_number(env, ENV_DEADLINE)) is not None:
        total = check_timeout(raw, ENV_DEADLINE)
    else:
        total = None
    if proxy is not None and not (
        isinstance(proxy, str) and proxy.startswith(("http://", "https://"))
    ):
        raise InvalidRequestError(
            "proxy must be an http:// or https:// URL (aiohttp supports HTTP proxies only)."
        )
    wait = (
        DEFAULT_MAX_RETRY_WAIT
        if max_retry_wait is None
        else check_timeout(max_retry_wait, "max_retry_wait")
    )
    limit = (
        DEFAULT_CONNECTION_LIMIT
        if connection_limit is None
        else _check_retries(connection_limit, "connection_limit")
    )
    if limit < 1:
        raise InvalidRequestError(f"connection_limit must be at least 1, got {limit}.")
    backoff = BACKOFF_BASE if backoff_base is None else check_timeout(backoff_base, "backoff_base")
    if limits is not None and not isinstance(limits, Limits):
        raise InvalidRequestError(
            f"limits must be an aiodynaspark.Limits, not {type(limits).__name__}."
        )
    return Settings(
        base_url=url,
        api_key=api_key,
        timeout=seconds,
        deadline=total,
        connect_timeout=min(DEFAULT_CONNECT_TIMEOUT, seconds),
        max_retries=retries,
        max_retry_wait=wait,
        proxy=proxy or None,
        trust_env=trust_env,
        connection_limit=limit,
        backoff_base=backoff,
        limits=limits or DEFAULT_LIMITS,
    )


# The types a well-formed setting has; only these are cached (all hashable).
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None), Limits})

# typed: True and 1 (or 1 and 1.0) are different arguments, and may not share a result.
_cached_settings = functools.lru_cache(maxsize=64, typed=True)(_build_settings)
