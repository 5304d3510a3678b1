"""Refusing an unknown keyword the way Python does, with the nearest valid one named."""

import inspect
from collections.abc import Callable, Collection, Iterable

__all__ = ["keywords_of", "unexpected_keyword"]


def unexpected_keyword(function: str, given: Iterable[str], valid: Collection[str]) -> TypeError:
    """The ``TypeError`` for the first keyword of ``given`` that is not in ``valid``.

    Callers test ``given <= valid`` first (a set comparison, cheap on every call) and build
    this only when it fails.

    Args:
        function: The name to show, e.g. ``"create"``.
        given: The keywords the caller passed.
        valid: Every keyword the function takes.

    Returns:
        The error to raise: ``create() got an unexpected keyword argument 'temprature';
        did you mean 'temperature'?``
    """
    unknown = sorted(name for name in given if name not in valid)
    name = unknown[0] if unknown else "?"
    message = f"{function}() got an unexpected keyword argument {name!r}"
    import difflib  # only once a call went wrong; a small import

    nearest = difflib.get_close_matches(name, sorted(valid), n=1, cutoff=0.6)
    if nearest:
        message += f"; did you mean {nearest[0]!r}?"
    return TypeError(message)


def keywords_of(function: Callable[..., object]) -> frozenset[str]:
    """The named keyword parameters of ``function`` (read only when a call went wrong)."""
    return frozenset(
        name
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.kind in (parameter.KEYWORD_ONLY, parameter.POSITIONAL_OR_KEYWORD)
        and name != "self"
    )
