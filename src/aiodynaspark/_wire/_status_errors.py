"""Non-2xx answers onto the error tree: the one status table, challenge pages, server messages.

:func:`status_error` chooses the :class:`~._errors.APIStatusError` subclass of an answer and
builds it whole, its message saying what the server said and what to do.
"""

import html
import json
from collections.abc import Mapping

from .._errors import (
    APIStatusError,
    AuthenticationError,
    CloudflareError,
    RateLimitError,
    ServiceUnavailableError,
)

__all__ = ["extract_server_message", "is_challenge_page", "parse_retry_after", "status_error"]

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
