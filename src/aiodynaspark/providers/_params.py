"""Checking and encoding the REST API's query parameters.

The chat options' types and ranges are declared in :mod:`.._chat_options`; this module turns
a value into the text the query carries, refusing what the declaration does not allow.
"""

import math
from typing import Any

from .._chat_options import ChatOption
from .._errors import InvalidRequestError
from .._limits import echoed
from .._prompt import is_valid_unicode

__all__ = [
    "IMAGE_SIZE_RANGE",
    "encode_bool",
    "encode_float",
    "encode_int",
    "encode_option",
    "encode_text",
    "parse_size",
]

# Width and height of a generated image, pixels.
IMAGE_SIZE_RANGE = (64, 2048)


def encode_option(option: ChatOption, value: object) -> str:
    """Check a chat option's value against its declaration and encode it for the query.

    Raises:
        InvalidRequestError: A value of the wrong type or out of the option's range.
    """
    kind = option.type
    if kind is float:
        # Every float option is bounded (a test holds the declaration to that).
        assert option.low is not None
        assert option.high is not None
        return encode_float(option.name, value, option.low, option.high)
    if kind is bool:
        return encode_bool(option.name, value)
    if kind is int:
        return encode_int(option.name, value, option.low, option.high)
    if kind is str:
        return encode_text(option.name, value)
    raise AssertionError(f"{option.name}: no query encoding for {kind!r}")


def encode_float(name: str, value: object, low: float, high: float) -> str:
    """Check a number against its documented range and encode it.

    Raises:
        InvalidRequestError: Not a number, not finite, or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidRequestError(
            f"{name} must be a number from {low:g} to {high:g}, got {echoed(value)}."
        )
    if not low <= value <= high:
        raise InvalidRequestError(f"{name} must be from {low:g} to {high:g}, got {echoed(value)}.")
    return repr(float(value))


def encode_bool(name: str, value: object) -> str:
    """Encode a boolean as the service reads it: ``true`` or ``false``.

    Raises:
        InvalidRequestError: Not a bool.
    """
    if not isinstance(value, bool):
        raise InvalidRequestError(f"{name} must be True or False, got {echoed(value)}.")
    return "true" if value else "false"


def encode_int(
    name: str, value: object, low: float | None = None, high: float | None = None
) -> str:
    """Check a whole number (and its range, when given) and encode it.

    Raises:
        InvalidRequestError: Not a whole number, or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequestError(f"{name} must be a whole number, got {echoed(value)}.")
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidRequestError(f"{name} must be from {low:g} to {high:g}, got {value}.")
    return str(value)


def encode_text(name: str, value: object) -> str:
    """Check a text parameter.

    Raises:
        InvalidRequestError: Not a string, or not valid Unicode (a lone surrogate).
    """
    if not isinstance(value, str):
        raise InvalidRequestError(f"{name} must be a string, got {type(value).__name__}.")
    if not is_valid_unicode(value):
        raise InvalidRequestError(f"{name} is not valid Unicode (it holds a lone surrogate).")
    return value


def parse_size(size: Any) -> tuple[int, int]:
    """Read an OpenAI-style ``"WIDTHxHEIGHT"`` size and check both sides.

    Raises:
        InvalidRequestError: Malformed, or a side outside 64-2048.
    """
    low, high = IMAGE_SIZE_RANGE
    if not isinstance(size, str):
        raise InvalidRequestError(f"size must be a string like '1024x768', got {echoed(size)}.")
    width_text, x, height_text = size.lower().partition("x")
    if not x or not width_text.isdigit() or not height_text.isdigit():
        raise InvalidRequestError(f"size must look like '1024x768', got {echoed(size)}.")
    width, height = int(width_text), int(height_text)
    for side, value in (("width", width), ("height", height)):
        if not low <= value <= high:
            raise InvalidRequestError(f"Image {side} must be from {low} to {high}, got {value}.")
    return width, height
