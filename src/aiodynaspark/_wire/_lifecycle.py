"""A client's life, held by its transport: built, opened by one ``with`` block, closed.

One state, as httpx's ``ClientState``: the client reads it from its transport, so "closed"
is never two flags that could disagree. Misusing a client's life is a programming error, not
a service condition, so it raises ``RuntimeError`` as httpx does.
"""

import enum

__all__ = ["CLIENT_CLOSED", "ClientState", "entered"]

CLIENT_CLOSED = "Cannot send a request, as the client has been closed."


class ClientState(enum.Enum):
    """Where a client is in its life.

    ``UNOPENED``: built, usable directly or in one ``with`` block. ``OPENED``: inside its
    ``with`` block. ``CLOSED``: closed; every request is refused.
    """

    UNOPENED = 1
    OPENED = 2
    CLOSED = 3


def entered(owner: str, state: ClientState) -> ClientState:
    """The state after ``owner`` enters a ``with`` block: refuse a second one, or a closed client.

    A second block would close the pool under the first when it ends; a closed client
    does not quietly open a new pool.

    Raises:
        RuntimeError: ``state`` is not :attr:`ClientState.UNOPENED`.
    """
    if state is ClientState.OPENED:
        raise RuntimeError(
            f"Cannot open a {owner} instance more than once: it is already open in a 'with' "
            "block. Share it inside that block, or build a second client."
        )
    if state is ClientState.CLOSED:
        raise RuntimeError(
            f"Cannot reopen a {owner} instance, once it has been closed; build a new one."
        )
    return ClientState.OPENED
