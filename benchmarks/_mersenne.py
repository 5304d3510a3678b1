"""Rebuild Python's ``random`` generator from its outputs, to predict the next id it mints.

The Mersenne Twister behind :mod:`random` keeps 624 words of state and hands each one out
through an invertible "tempering": 624 consecutive 32-bit outputs give the whole state back.
``getrandbits(96)`` hands out three words, least significant first, so 208 ids of 24 hex
digits were enough. Used by the id-prediction attack and its test: ids from :mod:`secrets`
must make the prediction fail.
"""

import random
from collections.abc import Sequence

__all__ = ["predict_next_id"]

_STATE_WORDS = 624
_MASK = 0xFFFFFFFF


def _undo_right(value: int, shift: int) -> int:
    result = value
    for _ in range(32 // shift + 1):
        result = value ^ (result >> shift)
    return result & _MASK


def _undo_left(value: int, shift: int, mask: int) -> int:
    result = value
    for _ in range(32 // shift + 1):
        result = value ^ ((result << shift) & mask)
    return result & _MASK


def _untemper(output: int) -> int:
    value = _undo_right(output, 18)
    value = _undo_left(value, 15, 0xEFC60000)
    value = _undo_left(value, 7, 0x9D2C5680)
    return _undo_right(value, 11)


def _words(hex_digits: str) -> list[int]:
    number = int(hex_digits, 16)
    count = len(hex_digits) * 4 // 32
    return [(number >> (32 * index)) & _MASK for index in range(count)]


def predict_next_id(ids: Sequence[str], prefix: str) -> str | None:
    """The id that ``random`` would mint after ``ids``, if they came from ``getrandbits``.

    Args:
        ids: Consecutive ids, each ``prefix`` and hex digits (a multiple of 8 of them).
        prefix: What every id starts with.

    Returns:
        The predicted next id, or ``None`` when the ids hold fewer than 624 words.
    """
    digits = [found.removeprefix(prefix) for found in ids]
    words = [word for hex_digits in digits for word in _words(hex_digits)]
    if len(words) < _STATE_WORDS:
        return None
    state = tuple(_untemper(word) for word in words[-_STATE_WORDS:])
    clone = random.Random()
    clone.setstate((3, (*state, _STATE_WORDS), None))
    width = len(digits[-1])
    return f"{prefix}{clone.getrandbits(width * 4):0{width}x}"
