"""A fixed-window request quota, with the headers the REST API documents."""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateDecision", "RateLimiter"]


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The quota's verdict on one request.

    Attributes:
        allowed: Whether the request may be served.
        limit: Requests allowed per window.
        remaining: Requests left in the window after this one.
        reset_at: Unix time at which the window ends.
        retry_after: Seconds until the window ends (0 when allowed).
    """

    allowed: bool
    limit: int
    remaining: int
    reset_at: float
    retry_after: float

    def headers(self) -> dict[str, str]:
        """Render the rate limit headers the REST API documents.

        Returns:
            ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
            ``X-RateLimit-Reset`` (integer Unix time), plus ``Retry-After``
            (integer seconds, rounded up, at least 1) when refused.
        """
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return headers


class RateLimiter:
    """Count requests in fixed windows that start with the first request.

    Args:
        limit: Requests allowed per window (at least 1).
        window: Window length in seconds.
        clock: Source of Unix time, replaceable in tests.

    Raises:
        ValueError: ``limit`` or ``window`` is not positive.
    """

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.time) -> None:
        if limit < 1:
            raise ValueError(f"rate_limit must be >= 1, got {limit!r}")
        if not window > 0:
            raise ValueError(f"rate_window must be > 0, got {window!r}")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._window_end = 0.0
        self._used = 0

    def take(self) -> RateDecision:
        """Spend one request of the quota if any is left.

        Returns:
            The decision, with the numbers for the headers.
        """
        now = self._clock()
        if now >= self._window_end:
            self._window_end = now + self.window
            self._used = 0
        if self._used < self.limit:
            self._used += 1
            return RateDecision(True, self.limit, self.limit - self._used, self._window_end, 0.0)
        return RateDecision(False, self.limit, 0, self._window_end, self._window_end - now)

    def reset(self) -> None:
        """Forget every spent request: the next one opens a new window."""
        self._window_end = 0.0
        self._used = 0
