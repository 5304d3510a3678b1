"""One call's attempts: how each ended, how long the next may take, the error the call ends with."""

import time
from collections.abc import Callable, Mapping
from typing import Literal

import aiohttp

from .._config import Settings
from .._errors import (
    KEYWORD_NAMES,
    APIStatusError,
    APITimeoutError,
    DynasparkError,
    RateLimitError,
    ServiceUnavailableError,
)

__all__ = [
    "LEAST_ATTEMPT",
    "AttemptObserver",
    "AttemptOutcome",
    "attempt_outcome",
    "attempt_timeout",
    "final_error",
]

# The shortest attempt worth starting under a deadline, and the clock's grain when telling
# whether a timeout was the deadline's.
LEAST_ATTEMPT = 0.01

AttemptOutcome = Literal["ok", "retried", "429", "5xx", "timeout", "waking", "error"]
"""How one attempt ended: ``ok`` (a 2xx answer), ``retried`` (failed, and another attempt
follows), or why the last attempt failed: ``429``, ``waking`` (502, 503 or 504: the host down
or waking up), ``5xx`` (another server error), ``timeout``, ``error`` (anything else)."""
AttemptObserver = Callable[[AttemptOutcome, Mapping[str, str] | None], None]
"""Called once per attempt with its outcome and the answer's headers (``None`` without an
answer); it must be quick and must not raise. Header names are matched case-insensitively
when the argument is aiohttp's; otherwise they are lowercase."""


def attempt_outcome(error: DynasparkError) -> AttemptOutcome:
    """The outcome of an attempt that failed with ``error`` and is not retried."""
    if isinstance(error, APITimeoutError):
        return "timeout"
    if isinstance(error, RateLimitError):
        return "429"
    if isinstance(error, ServiceUnavailableError):
        return "waking"
    if isinstance(error, APIStatusError) and error.status_code >= 500:
        return "5xx"
    return "error"


def attempt_timeout(
    usual: aiohttp.ClientTimeout, ends: float | None, connect_timeout: float
) -> aiohttp.ClientTimeout:
    """The timeout of the next attempt: the usual one, cut to what the deadline leaves."""
    if ends is None:
        return usual
    left = max(ends - time.perf_counter(), LEAST_ATTEMPT)
    if usual.total is not None and left >= usual.total:
        return usual
    # A stream's usual timeout bounds each read; under a deadline its whole length too.
    return aiohttp.ClientTimeout(
        total=left,
        sock_connect=min(connect_timeout, left),
        sock_read=None if usual.sock_read is None else min(usual.sock_read, left),
    )


def final_error(
    settings: Settings,
    url: str,
    error: DynasparkError,
    attempts: int,
    elapsed: float,
    ends: float | None,
    out_of_time: bool,
) -> DynasparkError:
    """The error a call ends with: the last one, saying how many attempts and how long."""
    deadline = settings.deadline
    if isinstance(error, APITimeoutError):
        # Past the deadline (to the clock's grain), the deadline is what ran out.
        if (
            deadline is not None
            and ends is not None
            and (out_of_time or time.perf_counter() >= ends - LEAST_ATTEMPT)
        ):
            limit: Literal["timeout", "deadline"] = "deadline"
            seconds = deadline
        else:
            limit, seconds = "timeout", settings.timeout
        return APITimeoutError.after(
            limit=limit, seconds=seconds, attempts=attempts, elapsed=elapsed, url=url
        )
    tally = f"{attempts} attempt{'' if attempts == 1 else 's'}, {elapsed:.1f} s in all"
    if out_of_time and deadline is not None:
        return error.restated(
            f"{error} Not retried: the deadline of {deadline:g} s "
            f"({KEYWORD_NAMES['deadline']}) leaves no time for another attempt ({tally})."
        )
    if attempts > 1:
        return error.restated(f"{error} ({tally})")
    return error
