"""The one home of every id the library and the gateway mint.

Ids are handed to callers (``chatcmpl-``, ``resp_``, ``msg_``, ``fc_``, ``call_``), and some
are the only thing standing between a caller and a stored answer, so none may be guessed from
others: each is drawn from :mod:`secrets` (the operating system's generator), never from
:mod:`random`, whose state can be rebuilt from a few hundred of its outputs.
"""

import secrets

__all__ = ["ID_RANDOM_BITS", "new_id"]

# 128 bits is the size of a random UUID's space and beyond any guessing: a caller who sees a
# billion ids still has no useful chance of naming another one.
ID_RANDOM_BITS = 128


def new_id(prefix: str, bits: int = ID_RANDOM_BITS) -> str:
    """A fresh id: ``prefix`` and ``bits`` random bits from :mod:`secrets`, in hex.

    Args:
        prefix: What the id starts with, separator included (``"resp_"``, ``"chatcmpl-"``).
        bits: How many random bits, a multiple of 8; at least :data:`ID_RANDOM_BITS`.

    Returns:
        The id, e.g. ``"resp_"`` and 32 hex digits.

    Raises:
        ValueError: Fewer than 128 bits, or not whole bytes.
    """
    if bits < ID_RANDOM_BITS or bits % 8:
        raise ValueError(f"an id needs at least {ID_RANDOM_BITS} random bits, in whole bytes")
    # token_hex's bytes, hexed without its two extra calls: every completion mints one.
    return prefix + secrets.token_bytes(bits // 8).hex()
