"""Reading an answer's body within its bound, and decoding it as a JSON object."""

import json
from collections.abc import Awaitable
from typing import Any

import aiohttp

from .._errors import ResponseError
from .._limits import DEFAULT_MAX_JSON_BYTES

__all__ = ["json_object", "read_body", "read_error_body"]

# An error answer is read only this far: enough for any message, and a hostile host cannot
# make a failure cost more than this.
_ERROR_BODY_BYTES = 64 * 1024


def read_body(response: aiohttp.ClientResponse, limit: int, source: str) -> Awaitable[bytes]:
    """Read a whole answer body, refusing one larger than ``limit`` bytes; await the result.

    A declared ``Content-Length`` over the limit is refused before any byte is read; an
    undeclared one is counted as it arrives. Either way the connection is closed, so the rest
    of the body is never read. A declared length within the limit, the commonest answer, is
    aiohttp's own read, handed back without a coroutine of this module around it.

    Raises:
        ResponseError: The body is larger than ``limit`` (``Limits.max_response_bytes``).
    """
    length = response.content_length
    if length is not None and length <= limit:
        return response.read()
    if length is None:
        return _read_counted(response, limit, source)
    raise _too_large(response, limit, source)


async def _read_counted(response: aiohttp.ClientResponse, limit: int, source: str) -> bytes:
    data = bytearray()
    async for chunk in response.content.iter_any():
        data += chunk
        if len(data) > limit:
            raise _too_large(response, limit, source)
    return bytes(data)


def _too_large(response: aiohttp.ClientResponse, limit: int, source: str) -> ResponseError:
    response.close()
    return ResponseError(
        f"The answer from {source} is larger than {limit:,} bytes (Limits.max_response_bytes); "
        "it was not read. Raise the limit if such answers are expected."
    )


async def read_error_body(response: aiohttp.ClientResponse) -> str:
    """Read an error answer's body as text, at most 64 KiB of it (the rest is never read)."""
    data = bytearray()
    while len(data) < _ERROR_BODY_BYTES:
        chunk = await response.content.read(_ERROR_BODY_BYTES - len(data))
        if not chunk:
            break
        data += chunk
    else:
        response.close()  # the rest is never read: the connection cannot be reused
    return data.decode(response.charset or "utf-8", "replace")


def json_object(response: aiohttp.ClientResponse, raw: bytes) -> dict[str, Any]:
    """Decode a 2xx body as a JSON object, whatever content type it claims.

    A body over ``DEFAULT_MAX_JSON_BYTES`` (2 MiB) is refused without being decoded: the
    decode is one call that would hold the event loop for its whole length.

    Raises:
        ResponseError: The body is not JSON, is JSON but not an object, or is too large.
    """
    if len(raw) > DEFAULT_MAX_JSON_BYTES:
        raise ResponseError(
            f"The service answered with {len(raw):,} bytes of JSON, more than the "
            f"{DEFAULT_MAX_JSON_BYTES:,} a JSON answer may hold; it was not decoded. A chat "
            "answer is a few kilobytes: the host or a proxy in between is misbehaving."
        )
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        excerpt = raw[:120].decode("utf-8", "replace")
        raise ResponseError(
            f"The service answered {response.status} with a body that is not JSON "
            f"(starts {excerpt!r}); it may be a proxy or maintenance page. Try again later."
        ) from None
    if not isinstance(data, dict):
        raise ResponseError(
            f"The service answered with JSON {type(data).__name__}, expected an object."
        )
    return data
