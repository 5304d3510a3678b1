"""Errors in each API's shape, and the one place that maps library errors to HTTP answers.

Every error the gateway answers has the body OpenAI gives::

    {"error": {"message": "...", "type": "...", "param": null, "code": null}}

except under ``/v1/messages``, where it has Anthropic's
``{"type": "error", "error": {"type", "message"}}``: an error is encoded once, in the shape
of the API whose path it answers, by whichever layer answers it.

The mapping (also the table in docs/gateway.md):

====================================  ======  =======================  =======================
library error                         status  type                     code
====================================  ======  =======================  =======================
ModelNotSupportedError                404     invalid_request_error    model_not_found
MediaError                            400     invalid_request_error    invalid_image
InvalidRequestError                   400     invalid_request_error    None
RateLimitError (upstream 429)         429     rate_limit_error         rate_limit_exceeded
AuthenticationError (upstream)        502     api_error                upstream_auth_failed
CloudflareError                       502     api_error                upstream_blocked
ServiceUnavailableError               503     api_error                upstream_unavailable
APITimeoutError                       504     api_error                upstream_timeout
APIConnectionError                    502     api_error                upstream_unreachable
APIStatusError, upstream 4xx          400     invalid_request_error    upstream_refused
APIStatusError, upstream 5xx          502     api_error                upstream_error
InvalidModelOutputError               502     api_error                invalid_model_output
ResponseError                         502     api_error                upstream_bad_response
anything else                         500     server_error             None
====================================  ======  =======================  =======================

Messages never carry the upstream address, a traceback or a credential: upstream failures
are described in the gateway's words, with the service's own message when it gave one.
"""

import json
import logging
import math
import re
from dataclasses import dataclass

from starlette.responses import Response
from starlette.types import Send

from .._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    CloudflareError,
    DynasparkError,
    InvalidModelOutputError,
    InvalidRequestError,
    MediaError,
    ModelNotSupportedError,
    RateLimitError,
    ResponseError,
    ServiceUnavailableError,
)

__all__ = [
    "ANTHROPIC_PREFIX",
    "INTERNAL_ERROR",
    "GatewayError",
    "anthropic_error_body",
    "anthropic_error_type",
    "error_body",
    "error_event",
    "from_exception",
    "from_library_error",
    "retry_cannot_help",
]

_log = logging.getLogger("aiodynaspark.server")

# The paths of Anthropic's Messages API, whose errors have Anthropic's shape.
ANTHROPIC_PREFIX = "/v1/messages"

# An upstream message is quoted to the caller; a page-sized one is cut (as the library does).
_QUOTE_LIMIT = 300


@dataclass(frozen=True, slots=True)
class GatewayError:
    """One error answer: its status, OpenAI ``type``/``code``/``param``, message and headers.

    Attributes:
        status: The HTTP status.
        message: What the caller reads.
        type: OpenAI's error ``type``.
        code: OpenAI's error ``code``, or ``None``.
        param: The request field at fault, or ``None``.
        headers: Extra response headers (``Retry-After``), as pairs.
    """

    status: int
    message: str
    type: str = "invalid_request_error"
    code: str | None = None
    param: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def all_headers(self) -> tuple[tuple[str, str], ...]:
        """The extra headers, with ``x-should-retry: false`` when a retry cannot help."""
        if retry_cannot_help(self.status, self.code):
            return (*self.headers, ("x-should-retry", "false"))
        return self.headers

    def body(self) -> bytes:
        """The OpenAI body: ``{"error": {"message", "type", "param", "code"}}``."""
        return error_body(self.message, self.type, self.code, self.param)

    def body_for(self, path: str) -> bytes:
        """The body in the shape of the API that ``path`` belongs to."""
        if path.startswith(ANTHROPIC_PREFIX):
            return anthropic_error_body(self)
        return self.body()

    def response(self, path: str) -> Response:
        """The whole answer to a request for ``path``, for exception handlers and routes."""
        return Response(
            self.body_for(path),
            status_code=self.status,
            headers=dict(self.all_headers),
            media_type="application/json",
        )

    async def send(self, send: Send, path: str) -> None:
        """Answer a request for ``path`` on a raw ASGI ``send``, for middleware."""
        body = self.body_for(path)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        headers.extend(
            (name.encode("latin-1"), value.encode("latin-1")) for name, value in self.all_headers
        )
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})


# Answers the same request would get again: the caller's input (4xx but 408 and 429), and
# the upstream failures a second try repeats (a model that ignored the tools twice, the
# gateway's own credential refused, a bot challenge). The official OpenAI and Anthropic SDKs
# retry 409, 429 and 5xx twice unless the answer says x-should-retry: false, and each retry
# of a 502 invalid_model_output spends two more upstream requests.
_RETRYABLE_STATUSES = frozenset({408, 409, 429})
_FINAL_CODES = frozenset({"invalid_model_output", "upstream_auth_failed", "upstream_blocked"})


def retry_cannot_help(status: int, code: str | None) -> bool:
    """Whether an error answer is final: sending the same request again gets the same."""
    if 400 <= status < 500:
        return status not in _RETRYABLE_STATUSES
    return code in _FINAL_CODES


def error_body(
    message: str, type_: str, code: str | None = None, param: str | None = None
) -> bytes:
    """Encode an OpenAI error body."""
    payload = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    # ASCII escapes: any text, even a reflected lone surrogate, encodes.
    return json.dumps(payload).encode()


# Anthropic's error types by status (its documented table); others take the nearest class.
_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
}


def anthropic_error_type(status: int) -> str:
    """Anthropic's error ``type`` for an HTTP status."""
    known = _ANTHROPIC_TYPES.get(status)
    if known is not None:
        return known
    return "invalid_request_error" if status < 500 else "api_error"


def anthropic_error_body(error: GatewayError) -> bytes:
    """The error in Anthropic's shape: ``{"type": "error", "error": {"type", "message"}}``."""
    # Anthropic's SDKs read this code to send the turn again without a thread, with the whole
    # conversation: what makes beta.messages.tool_runner work on this gateway.
    details = (
        {"details": {"error_code": "thread_unsupported_request", "unsupported": ["thread"]}}
        if error.param == "thread"
        else {}
    )
    payload = {
        "type": "error",
        "error": {
            "type": anthropic_error_type(error.status),
            "message": error.message,
            **details,
        },
    }
    return json.dumps(payload).encode()


def error_event(error: GatewayError) -> bytes:
    """The server-sent event that ends a broken stream: ``data: {"error": {...}}``."""
    return b"data: " + error.body() + b"\n\n"


def _said(error: APIStatusError) -> str:
    message = error.server_message
    if not message:
        return ""
    if len(message) > _QUOTE_LIMIT:
        message = message[:_QUOTE_LIMIT] + "..."
    return f": {message}"


def _retry_after(error: APIStatusError) -> tuple[tuple[str, str], ...]:
    seconds = getattr(error, "retry_after", None)
    if seconds is None:
        value = error.headers.get("retry-after")
        return (("retry-after", value),) if value and value.strip().isdigit() else ()
    # Retry-After takes whole seconds (RFC 9110, section 10.2.3); round up, never to zero
    # when the service asked for a wait.
    return (("retry-after", str(max(0, math.ceil(seconds)))),)


def _from_status_error(error: APIStatusError) -> GatewayError:
    status = error.status_code
    said = _said(error)
    if isinstance(error, RateLimitError):
        return GatewayError(
            429,
            f"Dynaspark's rate limit is spent (HTTP 429{said}); retry later.",
            "rate_limit_error",
            "rate_limit_exceeded",
            headers=_retry_after(error),
        )
    if isinstance(error, AuthenticationError):
        return GatewayError(
            502,
            f"Dynaspark refused the gateway's upstream credential (HTTP {status}{said}). This "
            "is a problem with the gateway's configuration (its upstream API key), not with "
            "your request or your API key.",
            "api_error",
            "upstream_auth_failed",
        )
    if isinstance(error, CloudflareError):
        return GatewayError(
            502,
            f"A Cloudflare bot challenge answered instead of Dynaspark (HTTP {status}); "
            "retrying soon will not help.",
            "api_error",
            "upstream_blocked",
        )
    if isinstance(error, ServiceUnavailableError):
        return GatewayError(
            503,
            f"Dynaspark is unavailable (HTTP {status}{said}); the host may be waking up, "
            "which can take about a minute. Retry shortly.",
            "api_error",
            "upstream_unavailable",
            headers=_retry_after(error),
        )
    if status == 408:
        return GatewayError(
            504, "Dynaspark timed out the request (HTTP 408).", "api_error", "upstream_timeout"
        )
    if 400 <= status < 500:
        return GatewayError(
            400,
            f"Dynaspark refused the request (HTTP {status}{said}).",
            "invalid_request_error",
            "upstream_refused",
        )
    return GatewayError(
        502, f"Dynaspark failed (HTTP {status}{said}).", "api_error", "upstream_error"
    )


# An input error's message quotes what the caller sent (an unknown voice, a model name); a
# long value is cut so an answer never echoes more than this many characters back.
_ECHO_LIMIT = 1000
_BOUND = re.compile(r"Limits\.(\w+)")


def _echo(error: DynasparkError) -> str:
    text = str(error)
    return text if len(text) <= _ECHO_LIMIT else text[:_ECHO_LIMIT] + "... (cut)"


def from_library_error(error: DynasparkError) -> GatewayError:
    """Choose the answer for a library error (the table in this module's docstring).

    Input errors keep the library's message, written for the caller; upstream failures get
    the gateway's own words, and the library's full message goes to the log.
    """
    if isinstance(error, ModelNotSupportedError):
        return GatewayError(404, _echo(error), code="model_not_found", param="model")
    if isinstance(error, MediaError):
        return GatewayError(400, _echo(error), code="invalid_image", param="messages")
    if isinstance(error, InvalidRequestError):
        return GatewayError(400, _echo(error))
    # The library has already logged the failure at WARNING, with its address and attempts.
    _log.debug("upstream failure: %s: %s", type(error).__name__, error)
    if isinstance(error, APIStatusError):
        return _from_status_error(error)
    if isinstance(error, APITimeoutError):
        return GatewayError(
            504, "Dynaspark did not answer in time.", "api_error", "upstream_timeout"
        )
    if isinstance(error, APIConnectionError):
        return GatewayError(
            502,
            "The gateway could not reach Dynaspark, or the connection broke.",
            "api_error",
            "upstream_unreachable",
        )
    if isinstance(error, InvalidModelOutputError):
        return GatewayError(
            502,
            "The model's answer did not follow the requested tool calls or JSON schema, even "
            f"after one repair round ({'; '.join(error.errors[:3])}). Retry, or simplify the "
            "tools or schema.",
            "api_error",
            "invalid_model_output",
        )
    if isinstance(error, ResponseError) and (bound := _BOUND.search(str(error))):
        return GatewayError(
            502,
            f"Dynaspark's answer went over the gateway's bound {bound.group(0)} and was "
            "stopped; the answer is incomplete.",
            "api_error",
            "upstream_bad_response",
        )
    if isinstance(error, ResponseError):
        return GatewayError(
            502,
            "Dynaspark's answer was not a valid answer, or its stream broke before the end; "
            "the answer is incomplete.",
            "api_error",
            "upstream_bad_response",
        )
    return GatewayError(502, "Dynaspark failed.", "api_error", "upstream_error")


INTERNAL_ERROR = GatewayError(
    500, "The gateway failed unexpectedly; the error is in its log.", "server_error"
)


def from_exception(error: BaseException) -> GatewayError:
    """The answer for any exception: library errors mapped, anything else a generic 500.

    An unexpected error is logged here with its traceback; its text never reaches the caller.
    """
    if isinstance(error, DynasparkError):
        return from_library_error(error)
    _log.error("unexpected error: %s", type(error).__name__, exc_info=error)
    return INTERNAL_ERROR
