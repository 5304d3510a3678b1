"""Request rates (``10/minute``) and the verdict of a limiter on one request."""

import math
import re
from dataclasses import dataclass

__all__ = ["MAX_RATE_COUNT", "Decision", "Rate", "format_reset", "parse_rate"]

_PERIODS = {"second": 1.0, "minute": 60.0, "hour": 3600.0}
_RATE = re.compile(r"\s*(\d+)\s*/\s*(second|minute|hour)s?\s*", re.IGNORECASE)

# A limiter remembers one timestamp per request in its window (a sliding log, so the limit
# holds over every window, not only aligned ones). This bound keeps that memory small: a
# million timestamps are about 16 MB in Redis, the worst case for one limit.
MAX_RATE_COUNT = 1_000_000


@dataclass(frozen=True, slots=True)
class Rate:
    """At most ``count`` requests in any ``period`` seconds.

    Attributes:
        count: Requests allowed in a window (1 to :data:`MAX_RATE_COUNT`).
        period: The window's length in seconds (1, 60 or 3600).
    """

    count: int
    period: float

    def __str__(self) -> str:
        unit = {1.0: "second", 60.0: "minute", 3600.0: "hour"}.get(self.period)
        return f"{self.count}/{unit}" if unit else f"{self.count}/{self.period:g}s"


def parse_rate(text: str) -> Rate:
    """Read a rate written ``N/second``, ``N/minute`` or ``N/hour``.

    Args:
        text: The rate, as given on the command line or in the keys file.

    Returns:
        The rate.

    Raises:
        ValueError: The text is not such a rate, or ``N`` is 0 or too large.

    Example:
        >>> parse_rate("100/hour")
        Rate(count=100, period=3600.0)
    """
    match = _RATE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(
            f"A rate limit must read N/second, N/minute or N/hour (such as 100/hour), not {text!r}."
        )
    count = int(match[1])
    if not 1 <= count <= MAX_RATE_COUNT:
        raise ValueError(
            f"A rate limit allows 1 to {MAX_RATE_COUNT:,} requests per period, not {count}."
        )
    return Rate(count, _PERIODS[match[2].lower()])


def format_reset(seconds: float) -> str:
    """Write a wait as OpenAI's rate limit headers do: ``1s``, ``6m0s``, ``1h2m3s``, ``0.25s``."""
    if seconds < 60:
        rounded = math.ceil(seconds * 1000) / 1000
        return f"{rounded:g}s"
    # To the millisecond first, as below a minute: a reset a few microseconds past a whole
    # minute (clock jitter between the decision and this call) is that minute, not the next.
    whole = math.ceil(round(seconds, 3))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes}m{secs}s" if hours else f"{minutes}m{secs}s"


@dataclass(frozen=True, slots=True)
class Decision:
    """A limiter's verdict on one request, for one limit.

    Attributes:
        allowed: Whether the request may go on (and was counted).
        limit: Requests allowed per window.
        remaining: Requests left in the window after this one.
        reset_after: Seconds until one more request is allowed (allowed: until the window
            is whole again).
    """

    allowed: bool
    limit: int
    remaining: int
    reset_after: float

    def headers(self) -> list[tuple[bytes, bytes]]:
        """OpenAI's ``x-ratelimit-*-requests`` headers, and ``retry-after`` when refused."""
        headers = [
            (b"x-ratelimit-limit-requests", str(self.limit).encode()),
            (b"x-ratelimit-remaining-requests", str(self.remaining).encode()),
            (b"x-ratelimit-reset-requests", format_reset(self.reset_after).encode()),
        ]
        if not self.allowed:
            headers.append((b"retry-after", str(max(1, math.ceil(self.reset_after))).encode()))
        return headers
