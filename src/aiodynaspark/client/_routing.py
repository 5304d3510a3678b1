"""Which provider serves a chat request, and falling back along a list of them.

Routing also decides what a conversation too long for the REST API's URL does (the REST
provider only says that it does not fit, :meth:`DynasparkAPI.url_overflow`): with
``truncation="auto"`` its oldest turns are dropped until it fits; otherwise it goes by the
web form, whole, and the options only the REST API carries are dropped and named
(:class:`LongChat`), unless the client's ``long_prompts`` is ``"refuse"``.
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from .._errors import (
    APIConnectionError,
    APIStatusError,
    DynasparkError,
    InvalidRequestError,
    RateLimitError,
)
from .._limits import echoed
from .._wire._http import Transport
from ..providers import BaseProvider, Dynaspark, DynasparkAPI, PreparedChat, RestChat, WebFormChat
from ..providers._long_prompts import (
    URI_TOO_LONG,
    chat_too_long,
    folded_prompt,
    rest_only_options,
)

__all__ = [
    "Attempt",
    "LongChat",
    "ProviderChoice",
    "Truncation",
    "check_truncation",
    "choose_providers",
    "combined_error",
    "fit_url_budget",
    "has_image",
    "is_fallback_error",
    "is_url_refusal",
    "long_chat_of",
    "route_after_url_refusal",
]

_log = logging.getLogger(__name__)

# A provider and the request it prepared: only that provider can send it.
Attempt: TypeAlias = tuple[type[BaseProvider[Any]], PreparedChat]

Truncation: TypeAlias = Literal["auto", "disabled"]
"""``"auto"``: a conversation too long for the REST API's URL loses its oldest turns until it
fits; ``"disabled"`` (the default): it goes by the web form, whole."""

# Never dropped by truncation: the instructions.
_SYSTEM_ROLES = frozenset({"system", "developer"})

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
    choice: object,
    *,
    options: dict[str, Any],
    stream: bool,
    messages: object = None,
    media: object = None,
) -> list[type[BaseProvider[Any]]]:
    """Turn a provider choice into the ordered list of providers to try.

    The automatic rule: a request with an image (in ``media`` or an ``image_url`` part of
    ``messages``) goes to the web form (``Dynaspark``), the only endpoint that takes one; a
    request with any option (sampling, ``system``, JSON mode...) or a stream goes to the
    REST API (``DynasparkAPI``), the only one that takes options and streams for real; any
    other request goes to the web form. The messages are searched for an image only when
    the answer depends on it: never for the commonest request, neither streamed nor with
    options.

    Raises:
        InvalidRequestError: An unknown provider, or an image together with sampling options
            (no endpoint takes both).
    """
    if choice is None or (isinstance(choice, str) and choice.lower() == "auto"):
        if not options:  # the commonest request, decided without the checks below
            if stream and not has_image(messages, media):
                return [DynasparkAPI]
            return [Dynaspark]
        sampling = sorted(name for name, value in options.items() if value is not None)
        if has_image(messages, media):
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


def has_image(messages: object, media: object) -> bool:
    """Whether the request carries an image: ``media``, or an ``image_url`` part."""
    if media:
        return True
    # A tuple rather than a union in isinstance, and an exact type test: this runs on many
    # requests, and the two cut its cost from about 1.1 us to 0.2 us.
    if not isinstance(messages, (list, tuple)):
        return False
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if type(content) is list and any(
            isinstance(part, dict) and part.get("type") == "image_url" for part in content
        ):
            return True
    return False


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


@dataclass(slots=True)
class LongChat(WebFormChat):
    """A conversation too long for the REST API's URL, sent by the web form instead.

    The system prompt is folded into the text; a stream is answered in one piece.

    Attributes:
        dropped: The caller's options that only the REST API carries, left out.
    """

    dropped: tuple[str, ...] = ()


def check_truncation(value: object) -> Truncation | None:
    """Check the ``truncation`` keyword.

    Raises:
        InvalidRequestError: Neither ``"auto"``, ``"disabled"`` nor ``None``.
    """
    if value is None or value == "auto" or value == "disabled":
        return value
    raise InvalidRequestError(f"truncation must be 'auto' or 'disabled', got {value!r}.")


def fit_url_budget(
    attempts: list[Attempt],
    transport: Transport,
    *,
    messages: object,
    truncation: Truncation | None,
    prepare_rest: Callable[[object], PreparedChat],
) -> list[Attempt]:
    """Make every REST API attempt whose URL is over ``Limits.max_url_bytes`` fit, or replace it.

    Args:
        attempts: The prepared attempts, in order; changed in place and returned.
        transport: Gives the base URL, key and budget the URL is measured with.
        messages: The conversation the attempts were prepared from.
        truncation: ``"auto"`` drops the oldest turns (never a system message, never the
            last user message and what follows it) until the URL fits.
        prepare_rest: Prepares the REST API request for a shorter conversation.

    Returns:
        ``attempts``.

    Raises:
        InvalidRequestError: Over the budget with options only the REST API carries while
            ``long_prompts="refuse"``.
    """
    for index, (provider, chat) in enumerate(attempts):
        if provider is not DynasparkAPI or not isinstance(chat, RestChat):
            continue
        size = DynasparkAPI.url_overflow(transport, chat)
        if size is None:
            continue
        if truncation == "auto" and isinstance(messages, list):
            trimmed = _trim_oldest_turns(messages, lambda m: _fits(transport, prepare_rest(m)))
            if trimmed is not None:
                _log.info("dropped %s oldest turns so the chat fits the REST API's URL", trimmed[1])
                attempts[index] = (provider, prepare_rest(trimmed[0]))
                continue
        attempts[index] = (Dynaspark, _by_web_form(chat, size, transport))
    return attempts


def is_url_refusal(error: DynasparkError) -> bool:
    """Whether the host refused a REST API URL as too long (414) though it was in budget."""
    return isinstance(error, APIStatusError) and error.status_code == URI_TOO_LONG


def route_after_url_refusal(
    attempts: list[Attempt], index: int, error: DynasparkError, transport: Transport
) -> bool:
    """After a 414 for attempt ``index``, put the web form next: whether it did.

    The host's limit was below ``Limits.max_url_bytes``; the conversation goes by the web
    form as one over the budget would (``long_prompts`` applies).

    Raises:
        InvalidRequestError: ``long_prompts="refuse"`` and options only the REST API takes.
    """
    provider, chat = attempts[index]
    if provider is not DynasparkAPI or not isinstance(chat, RestChat):
        return False
    if not is_url_refusal(error):
        return False
    _log.warning(
        "the host refused a %s-byte budget URL as too long (414); lower Limits.max_url_bytes",
        transport.settings.limits.max_url_bytes,
    )
    attempts.insert(index + 1, (Dynaspark, _by_web_form(chat, None, transport)))
    return True


def _fits(transport: Transport, chat: PreparedChat) -> bool:
    return isinstance(chat, RestChat) and DynasparkAPI.url_overflow(transport, chat) is None


def _by_web_form(chat: RestChat, size: int | None, transport: Transport) -> LongChat:
    dropped = [name for name in rest_only_options(chat.params) if name not in chat.implied]
    settings = transport.settings
    if dropped and settings.long_prompts == "refuse":
        raise chat_too_long(size, settings.limits.max_url_bytes, dropped, routed=True)
    _log.info(
        "chat of %s URL bytes goes by the web form, whole; dropped: %s",
        "too many" if size is None else size,
        ", ".join(dropped) or "nothing",
    )
    return LongChat(chat.model, folded_prompt(chat.params), chat.stream, dropped=tuple(dropped))


def _trim_oldest_turns(
    messages: list[Any], fits: Callable[[list[Any]], bool]
) -> tuple[list[Any], int] | None:
    """The conversation without its fewest oldest turns that make it fit, and how many.

    ``None`` when even the shortest allowed conversation does not fit. The URL shrinks as
    turns go, so the least count is found by bisection: a few preparations, not one a turn.
    """
    roles = [m.get("role") if isinstance(m, Mapping) else None for m in messages]
    last_user = max((i for i, role in enumerate(roles) if role == "user"), default=len(roles) - 1)
    droppable = [i for i in range(last_user) if roles[i] not in _SYSTEM_ROLES]

    def without(count: int) -> list[Any]:
        gone = set(droppable[:count])
        return [message for i, message in enumerate(messages) if i not in gone]

    if not droppable or not fits(without(len(droppable))):
        return None
    low, high = 1, len(droppable)
    while low < high:
        middle = (low + high) // 2
        if fits(without(middle)):
            high = middle
        else:
            low = middle + 1
    return without(low), low


def long_chat_of(attempts: Sequence[Attempt]) -> LongChat | None:
    """The first attempt routed to the web form for its length, if any."""
    for _, chat in attempts:
        if isinstance(chat, LongChat):
            return chat
    return None
