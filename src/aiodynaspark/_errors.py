"""The exception tree, and the one place that maps HTTP answers and aiohttp errors onto it.

Hierarchy::

    DynasparkError
    ├── InvalidRequestError (also ValueError)   refused before any network call
    │   ├── ModelNotSupportedError
    │   └── MediaError
    ├── APIConnectionError
    │   └── APITimeoutError
    ├── APIStatusError                          .status_code, .body, .headers, .server_message
    │   ├── AuthenticationError                 401, 403
    │   ├── RateLimitError                      429; .retry_after
    │   ├── CloudflareError                     403, 429, 503 with a challenge page
    │   └── ServiceUnavailableError             502, 503, 504
    └── ResponseError
        └── InvalidModelOutputError             .errors, .output
"""

import html
import json
from collections.abc import Mapping
from types import TracebackType
from typing import Literal, Self

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "CloudflareError",
    "DynasparkError",
    "InvalidModelOutputError",
    "InvalidRequestError",
    "MediaError",
    "ModelNotSupportedError",
    "RateLimitError",
    "ResponseError",
    "ServiceUnavailableError",
]


class DynasparkError(Exception):
    """Base class of every exception aiodynaspark raises."""

    def restated(self, message: str) -> Self:
        """A copy of this error with another message (errors are not changed once built)."""
        return type(self)(message)


# Refused before any network call.


class InvalidRequestError(DynasparkError, ValueError):
    """Raised when the arguments of a call are invalid; nothing was sent."""


class ModelNotSupportedError(InvalidRequestError):
    """Raised when a model name is neither a model id nor an alias of the provider."""


class MediaError(InvalidRequestError):
    """Raised when an image is unreadable, empty, too large, not an image, or one too many."""


# Transport failures.


class APIConnectionError(DynasparkError):
    """Raised when the service could not be reached or the connection broke."""


class APITimeoutError(APIConnectionError):
    """Raised when an attempt took longer than its timeout, or a call ran out its deadline.

    Attributes:
        limit: ``"timeout"`` (the last attempt ran out its time) or ``"deadline"`` (the
            whole call did), when known.
        seconds: That limit in seconds, when known.
        attempts: Attempts made, when known.
        elapsed: Seconds the whole call took, retries and waits included, when known.
        url: The endpoint, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        limit: Literal["timeout", "deadline"] | None = None,
        seconds: float | None = None,
        attempts: int | None = None,
        elapsed: float | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.limit = limit
        self.seconds = seconds
        self.attempts = attempts
        self.elapsed = elapsed
        self.url = url

    @classmethod
    def after(
        cls,
        *,
        limit: Literal["timeout", "deadline"],
        seconds: float,
        attempts: int,
        elapsed: float,
        url: str,
    ) -> Self:
        """The error that ends a call: what ran out, after how many attempts and how long."""
        message = _timeout_message(limit, seconds, attempts, elapsed, url, KEYWORD_NAMES)
        return cls(
            message, limit=limit, seconds=seconds, attempts=attempts, elapsed=elapsed, url=url
        )

    def describe(self, names: Mapping[str, str]) -> str:
        """The message, naming the two limits as ``names`` says (keywords, or CLI flags).

        Args:
            names: How a user sets ``"timeout"`` and ``"deadline"`` where the message is read.
        """
        if self.limit is None or self.seconds is None or self.url is None:
            return str(self)
        return _timeout_message(
            self.limit, self.seconds, self.attempts, self.elapsed, self.url, names
        )

    def restated(self, message: str) -> Self:
        """A copy of this error with another message, every other attribute the same."""
        return type(self)(
            message,
            limit=self.limit,
            seconds=self.seconds,
            attempts=self.attempts,
            elapsed=self.elapsed,
            url=self.url,
        )


# How the library's messages name the two time limits; the CLI names its flags instead.
KEYWORD_NAMES: Mapping[str, str] = {
    "timeout": "timeout= (or DYNASPARK_TIMEOUT)",
    "deadline": "deadline= (or DYNASPARK_DEADLINE)",
}


def _timeout_message(
    limit: str,
    seconds: float,
    attempts: int | None,
    elapsed: float | None,
    url: str,
    names: Mapping[str, str],
) -> str:
    parts = []
    if attempts is not None:
        parts.append(f"{attempts} attempt{'' if attempts == 1 else 's'}")
    if elapsed is not None:
        parts.append(f"{elapsed:.1f} s in all")
    tally = f" ({', '.join(parts)})" if parts else ""
    if limit == "deadline":
        return (
            f"No complete answer from {url} within the deadline of {seconds:g} s{tally}. "
            f"Raise {names['deadline']} to give the call more time."
        )
    return (
        f"No complete answer from {url} within {seconds:g} s per attempt{tally}. "
        f"Raise {names['timeout']} if the host is slow to wake; {names['deadline']} bounds "
        "the whole call."
    )


# Answers with a non-2xx status.


class APIStatusError(DynasparkError):
    """Raised when the service answered with a non-2xx status.

    Built once, by :func:`status_error`, and never changed after: a step that has more to
    say (a retry policy, a provider fallback) raises a :meth:`restated` copy instead.

    Attributes:
        status_code: The HTTP status of the answer.
        body: The answer's body as text (HTML pages are kept whole).
        headers: The answer's headers, lower-case names.
        server_message: The message the server gave, when one could be read.
    """

    status_code: int

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: str = "",
        headers: Mapping[str, str] | None = None,
        server_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.body = body
        self.headers: dict[str, str] = dict(headers or {})
        self.server_message = server_message

    def restated(self, message: str) -> Self:
        """A copy of this error with another message, every other attribute the same."""
        return type(self)(
            message,
            status_code=self.status_code,
            body=self.body,
            headers=self.headers,
            server_message=self.server_message,
        )


class AuthenticationError(APIStatusError):
    """Raised on 401, or on a 403 that is not a bot-challenge page: the API key is wrong."""

    status_code: Literal[401, 403]


class RateLimitError(APIStatusError):
    """Raised on 429, when the quota is spent (also when its wait is longer than allowed).

    Attributes:
        retry_after: Seconds the server asked to wait, when it said; else ``None``.
    """

    status_code: Literal[429]

    def __init__(
        self,
        message: str,
        *,
        status_code: Literal[429] = 429,
        body: str = "",
        headers: Mapping[str, str] | None = None,
        server_message: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message,
            status_code=status_code,
            body=body,
            headers=headers,
            server_message=server_message,
        )
        self.retry_after = retry_after

    def restated(self, message: str) -> Self:
        """A copy of this error with another message, every other attribute the same."""
        return type(self)(
            message,
            body=self.body,
            headers=self.headers,
            server_message=self.server_message,
            retry_after=self.retry_after,
        )


class CloudflareError(APIStatusError):
    """Raised when a bot-protection challenge page answered instead of the service."""

    status_code: Literal[403, 429, 503]


class ServiceUnavailableError(APIStatusError):
    """Raised on 502, 503 or 504: the host is down or still waking up."""

    status_code: Literal[502, 503, 504]


# A 2xx answer that is not an answer.


class ResponseError(DynasparkError):
    """Raised when a 2xx answer is not a valid answer, or a stream is cut before its end."""


class InvalidModelOutputError(ResponseError):
    """Raised when the model's answer broke the tool or JSON schema contract even after a
    repair round, so no tool call or structured answer can be trusted.

    Attributes:
        errors: What was wrong with the last answer.
        output: The last answer, as the model gave it.
    """

    def __init__(self, message: str, *, errors: list[str], output: str) -> None:
        super().__init__(message)
        self.errors = errors
        self.output = output

    def restated(self, message: str) -> Self:
        """A copy of this error with another message, the errors and output the same."""
        return type(self)(message, errors=self.errors, output=self.output)


# The mapping of answers and aiohttp errors onto the tree.

_CHALLENGE_MARKERS = (
    "just a moment...",
    "attention required! | cloudflare",
    "cf-browser-verification",
    "challenge-platform",
    "cf_chl_",
)
_BODY_EXCERPT = 300
_WAKING = " The host is down or waking up (a free host can take about a minute); try again shortly."


def _html_title(text: str) -> str | None:
    lower = text.lower()
    start = lower.find("<title")
    if start < 0:
        return None
    start = lower.find(">", start)
    end = lower.find("</title>", start)
    if start < 0 or end < 0:
        return None
    title = " ".join(html.unescape(text[start + 1 : end]).split())
    return title or None


def is_challenge_page(body: str, headers: Mapping[str, str]) -> bool:
    """Tell whether an answer is a Cloudflare bot-challenge page.

    Args:
        body: The answer's text.
        headers: The answer's headers, lower-case names.

    Returns:
        ``True`` for a challenge: the ``cf-mitigated: challenge`` header, or a known page marker.
    """
    if headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    head = body[:4096].lower()
    return any(marker in head for marker in _CHALLENGE_MARKERS)


def extract_server_message(body: str) -> str | None:
    """Read the human message out of an error body: JSON, HTML or plain text.

    Accepted shapes: ``{"error": "..."}``, ``{"error": {"message": "..."}}``,
    ``{"message": "..."}``, ``{"detail": "..."}``, an HTML page (its title), or plain text
    (its first 300 characters).
    """
    text = body.strip()
    if not text:
        return None
    if text[0] in "{[":
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            for key in ("error", "message", "detail"):
                value = data.get(key)
                if isinstance(value, dict):
                    value = value.get("message")
                if isinstance(value, str) and value.strip():
                    return value.strip()
    if text[:1] == "<":
        return _html_title(text)
    return " ".join(text[:_BODY_EXCERPT].split())


def parse_retry_after(headers: Mapping[str, str], *, now: float) -> float | None:
    """Read how long the server asks to wait: ``Retry-After`` then ``X-RateLimit-Reset``.

    ``Retry-After`` may be seconds or an HTTP date (RFC 9110, section 10.2.3);
    ``X-RateLimit-Reset`` is a Unix time, as the REST API documents it.

    Args:
        headers: The answer's headers, lower-case names.
        now: The current Unix time.

    Returns:
        Seconds to wait (never negative), or ``None`` when the headers do not say.
    """
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            return max(0.0, when.timestamp() - now)
    reset = headers.get("x-ratelimit-reset")
    if reset:
        try:
            return max(0.0, float(reset) - now)
        except ValueError:
            return None
    return None


# The one table choosing the class of a non-2xx answer, with the advice its message ends
# with. Any other status is a plain APIStatusError. A challenge page is looked for first, on
# the statuses Cloudflare answers it with (CloudflareError.status_code).
_BY_STATUS: dict[int, tuple[type[APIStatusError], str]] = {
    401: (AuthenticationError, " Check the API key (api_key= or DYNASPARK_API_KEY)."),
    403: (AuthenticationError, " Check the API key (api_key= or DYNASPARK_API_KEY)."),
    429: (RateLimitError, " The service's rate limit is spent."),
    502: (ServiceUnavailableError, _WAKING),
    503: (ServiceUnavailableError, _WAKING),
    504: (ServiceUnavailableError, _WAKING),
}
_CHALLENGE_STATUSES = frozenset({403, 429, 503})


def status_error(
    status: int, body: str, headers: Mapping[str, str], *, url: str, now: float
) -> APIStatusError:
    """Choose and build the :class:`APIStatusError` subclass for a non-2xx answer.

    Args:
        status: The HTTP status.
        body: The answer's body as text.
        headers: The answer's headers, lower-case names.
        url: The endpoint, for the message (without query: it may hold the API key).
        now: The current Unix time, to read ``X-RateLimit-Reset``.

    Returns:
        The exception to raise; the caller decides whether to retry first.
    """
    server_message = extract_server_message(body)
    if status in _CHALLENGE_STATUSES and is_challenge_page(body, headers):
        return CloudflareError(
            f"HTTP {status} from {url}: a Cloudflare bot challenge answered instead of the "
            "service; retrying will not help. Try again later, from another network, or "
            "without a proxy.",
            status_code=status,
            body=body,
            headers=headers,
            server_message=server_message,
        )
    kind, advice = _BY_STATUS.get(status, (APIStatusError, ""))
    said = f": {server_message}" if server_message else ""
    message = (
        f"HTTP {status} from {url}{said}.{advice}" if advice else f"HTTP {status} from {url}{said}"
    )
    if kind is RateLimitError:
        retry_after = parse_retry_after(headers, now=now)
        wait = f" Retry after {retry_after:.0f} s." if retry_after is not None else ""
        return RateLimitError(
            message + wait,
            body=body,
            headers=headers,
            server_message=server_message,
            retry_after=retry_after,
        )
    return kind(
        message, status_code=status, body=body, headers=headers, server_message=server_message
    )


def transport_error(exc: BaseException, url: str, timeout: float | None) -> DynasparkError | None:
    """The library error for an aiohttp or timeout exception, or ``None`` for any other.

    Args:
        exc: The exception raised while sending or reading.
        url: The endpoint, for the message.
        timeout: The attempt's total timeout in seconds, for the message.
    """
    # Imported here so that `import aiodynaspark` does not pay for aiohttp (about 150 ms).
    import aiohttp

    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        if not timeout:
            return APITimeoutError(f"No complete answer from {url} within its timeout.", url=url)
        return APITimeoutError(
            _timeout_message("timeout", timeout, None, None, url, KEYWORD_NAMES),
            limit="timeout",
            seconds=timeout,
            url=url,
        )
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return APIConnectionError(
            f"Could not connect through the proxy to {url}: {type(exc).__name__}. "
            "Check the proxy URL."
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        return APIConnectionError(
            f"Could not connect to {url}: {exc.os_error.strerror or exc.os_error}. "
            "Check the network and base_url."
        )
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return APIConnectionError(f"{url} closed the connection before answering completely.")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return APIConnectionError(f"The answer from {url} was cut off: {exc}")
    if isinstance(exc, aiohttp.ClientError | OSError):
        return APIConnectionError(f"Request to {url} failed: {type(exc).__name__}: {exc}")
    return None


class translate_transport_errors:
    """Turn aiohttp and timeout exceptions raised inside the block into library errors.

    A class rather than a generator-based context manager: it wraps every request, and
    costs a third as much.

    Args:
        url: The endpoint, for the message.
        timeout: The attempt's total timeout in seconds, for the message.

    Raises:
        APITimeoutError: The attempt timed out.
        APIConnectionError: Any other aiohttp client failure.
    """

    __slots__ = ("timeout", "url")

    def __init__(self, url: str, timeout: float | None) -> None:
        self.url = url
        self.timeout = timeout

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            return
        error = transport_error(exc, self.url, self.timeout)
        if error is not None:
            raise error from exc
