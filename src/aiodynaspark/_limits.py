"""``Limits``: how much the library sends in a URL and accepts from the service.

Every answer the service sends is read under a bound, so a broken or hostile host (or a
proxy in between) cannot make a client hold gigabytes or wait forever on keep-alive
comments. Each number has a documented default and can be raised per client.
"""

import math
from dataclasses import dataclass

from ._errors import InvalidRequestError

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_EVENT_BYTES",
    "DEFAULT_MAX_JSON_BYTES",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_STREAM_BYTES",
    "DEFAULT_MAX_URL_BYTES",
    "ECHO_CHARS",
    "Limits",
    "clipped",
    "echoed",
]

# Proxies in front of hosts like the service commonly refuse request lines past 8 KB
# (nginx's default header buffer), some earlier; 6 KB leaves room for the request line's
# method, path, version and the other query parameters.
DEFAULT_MAX_URL_BYTES = 6 * 1024
# A text answer of a chat model is a few kilobytes; a generated image a few megabytes. 16 MiB
# holds any of them with a wide margin and stops a runaway body long before memory does.
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
# A JSON answer (a chat answer, an image's URL) is decoded in one call that holds the event
# loop for its whole length: about 18 ms per MiB on a busy 2-core machine, so 2 MiB keeps a
# decode near the gateway's 50 ms budget for any one request, and is still hundreds of times
# a chat model's longest answer (8,192 tokens is about 32 KiB of text).
DEFAULT_MAX_JSON_BYTES = 2 * 1024 * 1024
# One server-sent event carries one piece of text: a megabyte is far beyond any real one.
DEFAULT_MAX_EVENT_BYTES = 1024 * 1024
# A whole streamed answer, events and framing included.
DEFAULT_MAX_STREAM_BYTES = 64 * 1024 * 1024
# A caller's value quoted back in an error message or a log line (a model name, an id, a
# voice) is cut to this many characters: enough to recognise it, never a page of it.
ECHO_CHARS = 200


def clipped(text: str) -> str:
    """``text`` cut to :data:`ECHO_CHARS`, saying how many characters more it had."""
    if len(text) <= ECHO_CHARS:
        return text
    return f"{text[:ECHO_CHARS]}... ({len(text) - ECHO_CHARS:,} more characters)"


def echoed(value: object) -> str:
    """``repr(value)`` for an error message or a log line, cut to :data:`ECHO_CHARS`.

    A longer string keeps its first characters and says how many more it had.
    """
    if isinstance(value, str):
        if len(value) <= ECHO_CHARS:
            return repr(value)
        return f"{value[:ECHO_CHARS]!r}... ({len(value) - ECHO_CHARS:,} more characters)"
    text = repr(value)
    return text if len(text) <= ECHO_CHARS else text[:ECHO_CHARS] + "..."


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequestError(f"Limits.{name} must be a whole number from 1, got {value!r}.")
    return value


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what a client sends in a URL and reads from the service.

    Args:
        max_url_bytes: Longest URL of a GET (the REST API puts the prompt in the query).
            A longer chat goes by the web form's POST when the REST API is not needed,
            and is refused before any I/O when it is. Default 6 KiB.
        max_response_bytes: Largest whole (non-streamed) answer body; larger ones raise
            ``ResponseError`` and the connection is closed. Default 16 MiB.
        max_event_bytes: Largest single server-sent event (or unfinished line). Default 1 MiB.
        max_stream_bytes: Largest streamed answer in total. Default 64 MiB.
        stream_idle_timeout: Seconds a stream may go without content (keep-alive comments do
            not count); ``None`` uses the client's ``timeout``.

    Raises:
        InvalidRequestError: A bound that is not a positive number.

    Example:
        >>> client = AsyncClient(limits=Limits(max_response_bytes=64 * 1024 * 1024))
    """

    max_url_bytes: int = DEFAULT_MAX_URL_BYTES
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    max_stream_bytes: int = DEFAULT_MAX_STREAM_BYTES
    stream_idle_timeout: float | None = None

    def __post_init__(self) -> None:
        for name in ("max_url_bytes", "max_response_bytes", "max_event_bytes", "max_stream_bytes"):
            _positive_int(name, getattr(self, name))
        idle = self.stream_idle_timeout
        if idle is not None and (
            isinstance(idle, bool)
            or not isinstance(idle, int | float)
            or not math.isfinite(idle)
            or idle <= 0
        ):
            raise InvalidRequestError(
                f"Limits.stream_idle_timeout must be a positive number of seconds, got {idle!r}."
            )


DEFAULT_LIMITS = Limits()
"""The limits of a client that sets none."""
