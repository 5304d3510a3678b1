"""A client's life: built, opened by ``with``/``async with``, closed; never reopened."""

import enum

from .._errors import InvalidRequestError

__all__ = ["ClientState", "enter_once"]


class ClientState(enum.Enum):
    """Where a client is in its life.

    ``UNOPENED``: built, usable directly or in one ``with`` block. ``OPENED``: inside its
    ``with`` block. ``CLOSED``: :meth:`close` ran; every request is refused.
    """

    UNOPENED = 1
    OPENED = 2
    CLOSED = 3


def enter_once(client: object, state: ClientState) -> None:
    """Refuse a second ``with`` block on one client, and any on a closed one.

    A second block would close the pool under the first when it ends; a closed client
    does not quietly open a new pool.

    Raises:
        InvalidRequestError: ``state`` is not :attr:`ClientState.UNOPENED`.
    """
    name = type(client).__name__
    if state is ClientState.OPENED:
        raise InvalidRequestError(
            f"This {name} is already open in a 'with' block; a client is opened once. "
            "Share it inside that block, or build a second client."
        )
    if state is ClientState.CLOSED:
        raise InvalidRequestError(
            f"This {name} has been closed and cannot be reopened; build a new one."
        )
