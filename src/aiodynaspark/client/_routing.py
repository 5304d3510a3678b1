"""Which provider serves a chat request, and falling back along a list of them."""

from collections.abc import Sequence
from typing import Any, TypeAlias

from .._errors import (
    APIConnectionError,
    APIStatusError,
    DynasparkError,
    InvalidRequestError,
    RateLimitError,
)
from .._limits import echoed
from ..providers import BaseProvider, Dynaspark, DynasparkAPI

__all__ = [
    "ProviderChoice",
    "choose_providers",
    "combined_error",
    "is_fallback_error",
]

ProviderRef: TypeAlias = type[BaseProvider[Any]] | str
ProviderChoice: TypeAlias = ProviderRef | Sequence[ProviderRef] | None
"""``None`` or ``"auto"`` (the rule below), a provider class or name, or a list of them."""

_BY_NAME: dict[str, type[BaseProvider[Any]]] = {
    "dynaspark": Dynaspark,
    "web": Dynaspark,
    "dynasparkapi": DynasparkAPI,
    "api": DynasparkAPI,
}


def _one(ref: object) -> type[BaseProvider[Any]]:
    if isinstance(ref, type) and issubclass(ref, BaseProvider) and ref is not BaseProvider:
        return ref
    if isinstance(ref, str) and ref.lower() in _BY_NAME:
        return _BY_NAME[ref.lower()]
    raise InvalidRequestError(
        f"Unknown provider {echoed(ref)}: use Dynaspark, DynasparkAPI (or the names 'web', 'api'), "
        "'auto', or a list of them for fallback."
    )


def choose_providers(
    choice: object, *, has_image: bool, options: dict[str, Any], stream: bool
) -> list[type[BaseProvider[Any]]]:
    """Turn a provider choice into the ordered list of providers to try.

    The automatic rule: a request with an image goes to the web form (``Dynaspark``), the
    only endpoint that takes one; a request with any option (sampling, ``system``, JSON
    mode...) or a stream goes to the REST API (``DynasparkAPI``), the only one that takes
    options and streams for real; any other request goes to the web form.

    Raises:
        InvalidRequestError: An unknown provider, or an image together with sampling options
            (no endpoint takes both).
    """
    if choice is None or (isinstance(choice, str) and choice.lower() == "auto"):
        if not options:  # the commonest request, decided without the checks below
            return [DynasparkAPI] if stream and not has_image else [Dynaspark]
        sampling = sorted(name for name, value in options.items() if value is not None)
        if has_image:
            if sampling:
                raise InvalidRequestError(
                    "No Dynaspark endpoint takes an image together with "
                    f"{', '.join(sampling)}: the web form takes images, the REST API takes "
                    "sampling options. Drop one or the other."
                )
            return [Dynaspark]
        return [DynasparkAPI] if sampling or stream else [Dynaspark]
    if isinstance(choice, list | tuple):
        if not choice:
            raise InvalidRequestError("provider is an empty list; give at least one provider.")
        return [_one(ref) for ref in choice]
    return [_one(choice)]


def is_fallback_error(error: DynasparkError) -> bool:
    """Whether the next provider should be tried: connection, timeout, 5xx, rate limit."""
    if isinstance(error, APIConnectionError | RateLimitError):
        return True
    return isinstance(error, APIStatusError) and error.status_code >= 500


def combined_error(attempts: list[tuple[str, DynasparkError]]) -> DynasparkError:
    """The last attempt's error, restated with a message naming every attempt in order.

    The attempts' own errors are left as they were raised; the result is a new error of the
    last one's class, with the same attributes.
    """
    last = attempts[-1][1]
    if len(attempts) == 1:
        return last
    summary = "; ".join(f"{provider}: {error}" for provider, error in attempts)
    return last.restated(f"Every provider failed ({len(attempts)} attempts). {summary}")
