"""Exception handlers: every error the app answers, in the shape of the API it answers.

Library errors are mapped by :mod:`._errors`; request validation errors become 400 (OpenAI's
status for a malformed body, not FastAPI's 422); Starlette's own 404 and 405 get the same
shape as everything else.
"""

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from ..._errors import DynasparkError, InvalidRequestError
from ..._limits import clipped
from .._errors import GatewayError, from_library_error
from ..ops._admission import Refused, current_admission

__all__ = ["install_handlers", "validation_message"]

# A body with hundreds of errors (a long, wrong list) gets a message of bounded length.
_MAX_LISTED = 3


# Pydantic puts the union member tried into an error's location ("str", "function-after[...]");
# the caller only wants the field path.
_UNION_TAGS = frozenset({"str", "int", "float", "bool", "none", "dict", "list"})


def _param(location: Sequence[Any]) -> str | None:
    # A body field, or a query or path parameter (the list routes' limit, order, after).
    parts = location[1:] if location and location[0] in ("body", "query", "path") else ()
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(part, str) and part.isidentifier() and part not in _UNION_TAGS:
            text += f".{part}" if text else part
    return text or None


def validation_message(errors: Sequence[Any]) -> tuple[str, str | None]:
    """Describe validation errors in one line, and name the first field at fault.

    The rejected values are left out: they may be long (a base64 image) or secret.

    Returns:
        The message and the ``param`` (``messages[0].content``), or ``None`` for the body.
    """
    if errors and errors[0].get("type") == "json_invalid":
        # Its location is a character offset, not a field.
        return "Invalid request: the body is not valid JSON.", None
    if errors and tuple(errors[0].get("loc", ())) == ("body",):
        # Also what FastAPI reports for a body sent without a JSON content type (curl -d).
        return (
            "Invalid request: the body must be a JSON object, sent with "
            "Content-Type: application/json.",
            None,
        )
    described = []
    for error in errors[:_MAX_LISTED]:
        where = _param(error.get("loc", ())) or "body"
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        described.append(f"{where}: {message}")
    more = len(errors) - _MAX_LISTED
    text = "Invalid request: " + "; ".join(described)
    if more > 0:
        text += f"; and {more} more error(s)"
    first = _param(errors[0].get("loc", ())) if errors else None
    return text + ".", first


async def _library_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DynasparkError)
    pending = current_admission()
    if isinstance(exc, InvalidRequestError) and pending is not None:
        # Refused as bad input before anything was sent: the caller spends no quota on it.
        await pending.refund()
    return from_library_error(exc).response(request.url.path)


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    return exc.error.response(request.url.path)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    message, param = validation_message(list(exc.errors()))
    return GatewayError(400, message, param=param).response(request.url.path)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    if status == 404:
        message = f"Invalid URL ({clipped(request.method)} {clipped(request.url.path)})."
        code: str | None = "not_found"
    elif status == 405:
        message = f"Method {clipped(request.method)} is not allowed on {clipped(request.url.path)}."
        code = "method_not_allowed"
    else:
        message = str(exc.detail)
        code = None
    kind = "invalid_request_error" if status < 500 else "server_error"
    headers = tuple((exc.headers or {}).items())
    return GatewayError(status, message, kind, code, headers=headers).response(request.url.path)


def install_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(DynasparkError, _library_error)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
