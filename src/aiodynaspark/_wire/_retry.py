"""When to retry and how long to wait: one small policy object.

A retry library (tenacity, backoff) was considered; the policy here needs the failed
answer's headers to choose the wait, must turn a too-long server-asked wait into an error,
and must stop once a stream has handed out text. Expressing that through a library's hooks
took more code than this module, so the policy stays here, in one place.
"""

import random
import time
from dataclasses import dataclass, field

from .._config import BACKOFF_BASE, BACKOFF_CAP, DEFAULT_MAX_RETRIES, DEFAULT_MAX_RETRY_WAIT
from .._errors import (
    APIConnectionError,
    APIStatusError,
    CloudflareError,
    DynasparkError,
    RateLimitError,
)
from ._status_errors import parse_retry_after

__all__ = ["RETRYABLE_STATUSES", "RetryPolicy"]

# Statuses worth another attempt: request timeout, rate limit, server errors; a 4xx other than
# 408 and 429 would fail the same way again.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries with exponential backoff and full jitter, honouring the server's wait.

    Attributes:
        max_retries: Attempts after the first one.
        base: Seconds of the first backoff ceiling; it doubles each retry.
        cap: Largest backoff ceiling, seconds.
        max_wait: Longest server-asked wait (``Retry-After``, ``X-RateLimit-Reset``) slept
            through; a longer one is raised at once.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    base: float = BACKOFF_BASE
    cap: float = BACKOFF_CAP
    max_wait: float = DEFAULT_MAX_RETRY_WAIT
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    @staticmethod
    def is_retryable(error: DynasparkError) -> bool:
        """Whether ``error`` may go away on another attempt (bad input and challenges won't)."""
        if isinstance(error, APIConnectionError):
            return True
        if isinstance(error, CloudflareError):
            return False
        return isinstance(error, APIStatusError) and error.status_code in RETRYABLE_STATUSES

    def wait_before_retry(self, retry: int, error: DynasparkError) -> float:
        """Seconds to wait before retry number ``retry`` (0-based) after ``error``.

        Raises:
            RateLimitError: The server asked for a longer wait than ``max_wait``.
            APIStatusError: Likewise for another status that carried such a wait.
        """
        asked = getattr(error, "retry_after", None)
        if isinstance(error, APIStatusError) and asked is None and "retry-after" in error.headers:
            asked = parse_retry_after(error.headers, now=time.time())
        if asked is not None:
            if asked > self.max_wait:
                if isinstance(error, RateLimitError):
                    # A new error saying why it was not waited for; the answer's own error
                    # stays as it was built (its cause).
                    raise error.restated(
                        f"{error.message} The wait asked ({asked:.0f} s) is longer than "
                        f"max_retry_wait ({self.max_wait:.0f} s), so it was not slept through."
                    ) from error
                raise error
            return float(asked)
        ceiling = min(self.cap, self.base * (2**retry))
        return self.rng.uniform(0.0, ceiling)
