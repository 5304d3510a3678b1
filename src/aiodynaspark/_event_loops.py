"""Running async code from synchronous callers, at the edge only."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

from ._errors import InvalidRequestError

__all__ = ["ensure_no_running_loop", "iterate_in_new_loop"]

T = TypeVar("T")


def ensure_no_running_loop(what: str, instead: str) -> None:
    """Refuse to block a running event loop with a synchronous call.

    Raises:
        InvalidRequestError: An event loop is running in this thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise InvalidRequestError(
        f"{what} is synchronous and would block the event loop running in this thread; "
        f"use {instead} instead, or call it from a worker thread."
    )


def iterate_in_new_loop(pieces: AsyncIterator[T]) -> Iterator[T]:
    """Drive an async iterator to completion on a private event loop in this thread.

    The loop lives as long as the returned iterator and is closed, with the async iterator,
    when the iteration ends, fails or is abandoned.
    """
    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                yield loop.run_until_complete(anext(pieces))
            except StopAsyncIteration:
                return
    finally:
        aclose = getattr(pieces, "aclose", None)
        if aclose is not None:
            loop.run_until_complete(aclose())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
