"""The exception tree: every error aiodynaspark raises, and how it names its time limits.

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

Answers are mapped onto the tree in :mod:`._status_errors` (a non-2xx status) and
:mod:`._transport_errors` (aiohttp and timeout exceptions).
"""

from collections.abc import Mapping
from typing import Literal, Self

__all__ = [
    "KEYWORD_NAMES",
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
    "timeout_message",
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
        message = timeout_message(limit, seconds, attempts, elapsed, url, KEYWORD_NAMES)
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
        return timeout_message(
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


def timeout_message(
    limit: str,
    seconds: float,
    attempts: int | None,
    elapsed: float | None,
    url: str,
    names: Mapping[str, str],
) -> str:
    """The message of a call that ran out of time, naming its limits as ``names`` says."""
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
