"""Faults the emulator can inject, and the answers that replace a normal one."""

import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Literal

from aiohttp import web

from ._pages import cloudflare_page, not_json_page, titled_page, waking_page

__all__ = ["Fault", "FaultKind", "StreamShape", "render_fault"]

FaultKind = Literal[
    "status",
    "cloudflare",
    "waking",
    "rate_limited",
    "not_json",
    "missing_response",
    "drop",
    "hang",
    "cut_stream",
    "stream_shape",
]
"""Names of the fault kinds, one per constructor of `Fault`."""

StreamShape = Literal["openai", "response", "text"]
"""Payload shapes of a streamed REST answer; the service does not document which it sends."""

BodyType = Literal["json", "text", "html"]
"""Body formats of a `Fault.status` answer."""

_STREAM_SHAPES: tuple[str, ...] = ("openai", "response", "text")
_BODY_TYPES: tuple[str, ...] = ("json", "text", "html")
# The documented quota of the free key: 100 requests per hour.
_DOCUMENTED_RATE_LIMIT = 100
# A fixed, plausible ray id: answers stay deterministic.
_CF_RAY = "8e4f2a1b9c3d5e6f-FRA"


def _check_delay(delay: float) -> float:
    if not delay >= 0:
        raise ValueError(f"delay must be >= 0, got {delay!r}")
    return float(delay)


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected misbehaviour, built with a class method constructor.

    Queue faults with `Emulator.push` or inject one at random with
    `Emulator.fail_randomly`. Every constructor takes ``delay``: extra seconds
    to wait before the fault acts. Faults apply to ``POST /generate_response``,
    ``GET /api/generate_response`` and ``GET /api/generate_image``.

    Example:
        >>> emu.push(Fault.waking(), Fault.rate_limited(2), None)  # doctest: +SKIP

    Attributes:
        kind: Which fault this is.
        code: HTTP status of an answering fault (0 for the others).
        message: Error text of a `status` fault.
        body_type: Body format of a `status` fault.
        headers: Extra response headers of a `status` fault, as pairs.
        seconds: Wait of a `hang` fault.
        after: Events sent by a `cut_stream` fault before the cut.
        shape: Payload shape of a `stream_shape` fault.
        retry_after: ``Retry-After`` seconds of a `rate_limited` fault.
        reset_in: Seconds until the quota resets, for a `rate_limited` fault.
        limit: ``X-RateLimit-Limit`` of a `rate_limited` fault.
        delay: Seconds to wait before the fault acts.
    """

    kind: FaultKind
    code: int = 0
    message: str = ""
    body_type: BodyType = "json"
    headers: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0
    after: int = 0
    shape: StreamShape = "openai"
    retry_after: float | None = None
    reset_in: float | None = None
    limit: int = _DOCUMENTED_RATE_LIMIT
    delay: float = 0.0

    @classmethod
    def status(
        cls,
        code: int,
        message: str | None = None,
        *,
        body_type: BodyType = "json",
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> "Fault":
        """Answer with any HTTP status.

        Args:
            code: The status code, 100-599.
            message: The error text; the status phrase when omitted.
            body_type: ``"json"`` for ``{"error": message}``, ``"text"`` for the
                bare message, ``"html"`` for a small page titled with it.
            headers: Extra response headers.
            delay: Seconds to wait before answering.

        Returns:
            The fault.

        Raises:
            ValueError: The code or body type is invalid.
        """
        if not 100 <= code <= 599:
            raise ValueError(f"status code must be 100-599, got {code!r}")
        if body_type not in _BODY_TYPES:
            raise ValueError(f"body_type must be one of {_BODY_TYPES}, got {body_type!r}")
        if message is None:
            try:
                message = HTTPStatus(code).phrase
            except ValueError:
                message = f"Error {code}"
        return cls(
            "status",
            code=code,
            message=message,
            body_type=body_type,
            headers=tuple((headers or {}).items()),
            delay=_check_delay(delay),
        )

    @classmethod
    def cloudflare(cls, *, delay: float = 0.0) -> "Fault":
        """Answer 403 with a Cloudflare challenge page (``Just a moment...``).

        The answer carries ``server: cloudflare``, ``cf-mitigated: challenge``
        and a ``cf-ray`` header.

        Args:
            delay: Seconds to wait before answering.

        Returns:
            The fault.
        """
        return cls("cloudflare", code=403, delay=_check_delay(delay))

    @classmethod
    def waking(cls, *, delay: float = 0.0) -> "Fault":
        """Answer 503 with the HTML page of a free-tier host that is waking up.

        Args:
            delay: Seconds to wait before answering.

        Returns:
            The fault.
        """
        return cls("waking", code=503, delay=_check_delay(delay))

    @classmethod
    def rate_limited(
        cls,
        retry_after: float | None = 1.0,
        *,
        reset_in: float | None = None,
        limit: int = _DOCUMENTED_RATE_LIMIT,
        delay: float = 0.0,
    ) -> "Fault":
        """Answer 429 with ``{"error": "Rate limit exceeded..."}``.

        Args:
            retry_after: Seconds for the ``Retry-After`` header (rounded up to
                an integer); ``None`` leaves the header out.
            reset_in: When given, add ``X-RateLimit-Limit``,
                ``X-RateLimit-Remaining: 0`` and ``X-RateLimit-Reset`` (the Unix
                time this many seconds after the answer).
            limit: The ``X-RateLimit-Limit`` value (the documented 100).
            delay: Seconds to wait before answering.

        Returns:
            The fault.

        Raises:
            ValueError: A negative number was given.
        """
        if retry_after is not None and not retry_after >= 0:
            raise ValueError(f"retry_after must be >= 0, got {retry_after!r}")
        if reset_in is not None and not reset_in >= 0:
            raise ValueError(f"reset_in must be >= 0, got {reset_in!r}")
        return cls(
            "rate_limited",
            code=429,
            retry_after=retry_after,
            reset_in=reset_in,
            limit=limit,
            delay=_check_delay(delay),
        )

    @classmethod
    def not_json(cls, *, delay: float = 0.0) -> "Fault":
        """Answer 200 with an HTML page instead of JSON.

        Args:
            delay: Seconds to wait before answering.

        Returns:
            The fault.
        """
        return cls("not_json", code=200, delay=_check_delay(delay))

    @classmethod
    def missing_response(cls, *, delay: float = 0.0) -> "Fault":
        """Answer 200 with JSON that lacks the ``response`` key.

        A streaming request gets this JSON body too, not an event stream.

        Args:
            delay: Seconds to wait before answering.

        Returns:
            The fault.
        """
        return cls("missing_response", code=200, delay=_check_delay(delay))

    @classmethod
    def drop(cls, *, delay: float = 0.0) -> "Fault":
        """Close the TCP connection without answering.

        The request body is read first, so the client sees the server
        disconnect rather than a failed upload.

        Args:
            delay: Seconds to wait before closing.

        Returns:
            The fault.
        """
        return cls("drop", delay=_check_delay(delay))

    @classmethod
    def hang(cls, seconds: float, *, delay: float = 0.0) -> "Fault":
        """Wait, then answer normally: for client timeout tests.

        The wait is cancelled when the emulator closes or the client leaves.

        Args:
            seconds: How long to wait.
            delay: Extra seconds to wait, added to ``seconds``.

        Returns:
            The fault.

        Raises:
            ValueError: ``seconds`` is negative.
        """
        if not seconds >= 0:
            raise ValueError(f"seconds must be >= 0, got {seconds!r}")
        return cls("hang", seconds=float(seconds), delay=_check_delay(delay))

    @classmethod
    def cut_stream(cls, after: int = 2, *, delay: float = 0.0) -> "Fault":
        """Cut a streamed REST answer: ``after`` events, then close, no ``[DONE]``.

        On a request that does not stream, this acts like `Fault.drop`.

        Args:
            after: How many events to send before the cut.
            delay: Seconds to wait before answering.

        Returns:
            The fault.

        Raises:
            ValueError: ``after`` is negative.
        """
        if after < 0:
            raise ValueError(f"after must be >= 0, got {after!r}")
        return cls("cut_stream", after=after, delay=_check_delay(delay))

    @classmethod
    def stream_shape(cls, shape: StreamShape, *, delay: float = 0.0) -> "Fault":
        """Stream a REST answer with another event payload shape.

        ``"openai"`` sends ``{"choices":[{"delta":{"content": piece}}]}`` (the
        default), ``"response"`` sends ``{"response": piece}``, ``"text"`` the
        bare piece. A request that does not stream is answered normally.

        Args:
            shape: The payload shape.
            delay: Seconds to wait before answering.

        Returns:
            The fault.

        Raises:
            ValueError: The shape is unknown.
        """
        if shape not in _STREAM_SHAPES:
            raise ValueError(f"shape must be one of {_STREAM_SHAPES}, got {shape!r}")
        return cls("stream_shape", shape=shape, delay=_check_delay(delay))


def _json_body(payload: object, content_type: str) -> web.Response:
    return web.Response(text=json.dumps(payload), content_type=content_type)


def render_fault(fault: Fault, *, json_type: str = "application/json") -> web.Response | None:
    """Build the answer that replaces a normal one, for the faults that do.

    Args:
        fault: The fault drawn for a request.
        json_type: Content type of 200 JSON bodies on this endpoint (the web
            form serves its JSON as ``text/html``).

    Returns:
        The response, or ``None`` for faults that change how the normal answer
        is produced (drop, hang, cut_stream, stream_shape).
    """
    kind = fault.kind
    if kind == "status":
        headers = dict(fault.headers)
        if fault.body_type == "json":
            response = web.json_response({"error": fault.message}, status=fault.code)
        elif fault.body_type == "text":
            response = web.Response(text=fault.message, status=fault.code)
        else:
            response = web.Response(
                text=titled_page(fault.message), status=fault.code, content_type="text/html"
            )
        response.headers.update(headers)
        return response
    if kind == "cloudflare":
        return web.Response(
            text=cloudflare_page(_CF_RAY),
            status=403,
            content_type="text/html",
            headers={"Server": "cloudflare", "cf-mitigated": "challenge", "cf-ray": _CF_RAY},
        )
    if kind == "waking":
        return web.Response(
            text=waking_page(),
            status=503,
            content_type="text/html",
            headers={"x-render-routing": "hibernate-wake-error", "Cache-Control": "no-store"},
        )
    if kind == "rate_limited":
        return _rate_limited_response(fault)
    if kind == "not_json":
        return web.Response(text=not_json_page(), content_type="text/html")
    if kind == "missing_response":
        return _json_body({"result": "The answer is under another key."}, json_type)
    return None


def _rate_limited_response(fault: Fault) -> web.Response:
    response = web.json_response(
        {"error": "Rate limit exceeded. Please wait before sending more requests."}, status=429
    )
    if fault.retry_after is not None:
        response.headers["Retry-After"] = str(math.ceil(fault.retry_after))
    if fault.reset_in is not None:
        response.headers["X-RateLimit-Limit"] = str(fault.limit)
        response.headers["X-RateLimit-Remaining"] = "0"
        response.headers["X-RateLimit-Reset"] = str(math.ceil(time.time() + fault.reset_in))
    return response
