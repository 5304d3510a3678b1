"""Checking and encoding the REST API's query parameters, within the ranges its authors document."""

import math
from collections.abc import Mapping
from typing import Any

from .._errors import InvalidRequestError

__all__ = [
    "FLOAT_RANGES",
    "IMAGE_SIZE_RANGE",
    "encode_bool",
    "encode_float",
    "encode_int",
    "encode_text",
    "parse_size",
]

# The documented ranges of the sampling parameters.
FLOAT_RANGES: Mapping[str, tuple[float, float]] = {
    "temperature": (0.0, 3.0),
    "top_p": (0.0, 1.0),
    "presence_penalty": (-2.0, 2.0),
    "frequency_penalty": (-2.0, 2.0),
}

# Width and height of a generated image, pixels.
IMAGE_SIZE_RANGE = (64, 2048)


def encode_float(name: str, value: object) -> str:
    """Check a sampling parameter against its documented range and encode it.

    Raises:
        InvalidRequestError: Not a number, not finite, or out of range.
    """
    low, high = FLOAT_RANGES[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidRequestError(
            f"{name} must be a number from {low:g} to {high:g}, got {value!r}."
        )
    if not low <= value <= high:
        raise InvalidRequestError(f"{name} must be from {low:g} to {high:g}, got {value!r}.")
    return repr(float(value))


def encode_bool(name: str, value: object) -> str:
    """Encode a boolean as the service reads it: ``true`` or ``false``.

    Raises:
        InvalidRequestError: Not a bool.
    """
    if not isinstance(value, bool):
        raise InvalidRequestError(f"{name} must be True or False, got {value!r}.")
    return "true" if value else "false"


def encode_int(name: str, value: object, low: int | None = None, high: int | None = None) -> str:
    """Check a whole number (and its range, when given) and encode it.

    Raises:
        InvalidRequestError: Not a whole number, or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequestError(f"{name} must be a whole number, got {value!r}.")
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidRequestError(f"{name} must be from {low} to {high}, got {value}.")
    return str(value)


def encode_text(name: str, value: object) -> str:
    """Check a text parameter.

    Raises:
        InvalidRequestError: Not a string.
    """
    if not isinstance(value, str):
        raise InvalidRequestError(f"{name} must be a string, got {type(value).__name__}.")
    return value


def parse_size(size: Any) -> tuple[int, int]:
    """Read an OpenAI-style ``"WIDTHxHEIGHT"`` size and check both sides.

    Raises:
        InvalidRequestError: Malformed, or a side outside 64-2048.
    """
    low, high = IMAGE_SIZE_RANGE
    if not isinstance(size, str):
        raise InvalidRequestError(f"size must be a string like '1024x768', got {size!r}.")
    width_text, x, height_text = size.lower().partition("x")
    if not x or not width_text.isdigit() or not height_text.isdigit():
        raise InvalidRequestError(f"size must look like '1024x768', got {size!r}.")
    width, height = int(width_text), int(height_text)
    for side, value in (("width", width), ("height", height)):
        if not low <= value <= high:
            raise InvalidRequestError(f"Image {side} must be from {low} to {high}, got {value}.")
    return width, height
