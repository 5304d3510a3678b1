"""What every provider shares: attributes, model resolution, the call plumbing, the sync wrapper."""

import inspect
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

import aiohttp

from .._config import DEFAULT_BASE_URL, Settings, resolve_settings
from .._errors import InvalidRequestError, ModelNotSupportedError
from .._event_loops import ensure_no_running_loop, iterate_in_new_loop
from .._limits import echoed
from .._types import MediaList, Messages
from .._wire._http import Transport

__all__ = [
    "CONNECTION_KEYWORDS",
    "SETTINGS_KEYWORDS",
    "BaseProvider",
    "ChatResult",
    "ChatT",
    "PreparedChat",
    "check_options",
    "keyword_names",
    "split_settings",
]

# Keywords that configure the connection rather than the request: the settings every entry
# point shares (base URL, key, timeout, retries, session).
SETTINGS_KEYWORDS = frozenset(
    {
        "base_url",
        "api_key",
        "timeout",
        "max_retries",
        "deadline",
        "max_retry_wait",
        "backoff_base",
        "connection_limit",
        "trust_env",
        "limits",
    }
)

# Every keyword a provider call takes for its connection: the settings, the caller's session,
# and the proxy (a named parameter of each call).
CONNECTION_KEYWORDS = SETTINGS_KEYWORDS | {"session", "proxy"}


def check_options(provider: str, options: Mapping[str, Any], accepted: AbstractSet[str]) -> None:
    """Refuse keywords a provider does not know, so typos do not pass silently.

    Args:
        provider: Who refuses, for the message (``"Dynaspark"``).
        options: The keywords left once the connection keywords are taken out.
        accepted: The request keywords the call takes; the message adds every connection
            keyword (:data:`CONNECTION_KEYWORDS`), so the list is whole.

    Raises:
        InvalidRequestError: An unknown keyword.
    """
    if options.keys() <= accepted:
        return
    unknown = sorted(options.keys() - accepted)
    takes = f"{', '.join(sorted(accepted))}, and " if accepted else ""
    raise InvalidRequestError(
        f"{provider} does not take {', '.join(unknown)}. It takes: {takes}the connection "
        f"keywords {', '.join(sorted(CONNECTION_KEYWORDS))}."
    )


def keyword_names(call: Callable[..., object]) -> frozenset[str]:
    """The keyword-only parameters of ``call`` but its connection keywords (for messages)."""
    return frozenset(
        name
        for name, parameter in inspect.signature(call).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name not in CONNECTION_KEYWORDS
    )


def split_settings(
    kwargs: Mapping[str, Any], proxy: str | None
) -> tuple[Settings, aiohttp.ClientSession | None, dict[str, Any]]:
    """Separate connection keywords from request options and resolve the settings.

    Returns:
        The settings, the caller's session (or ``None``), and the remaining options.

    Raises:
        InvalidRequestError: A connection keyword is malformed.
    """
    session = None
    connection: dict[str, Any] = {}
    options: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key in SETTINGS_KEYWORDS:
            connection[key] = value
        elif key == "session":
            session = value
        else:
            options[key] = value
    return resolve_settings(proxy=proxy, **connection), session, options


# Not frozen, these two: a frozen dataclass's __init__ sets each field through
# object.__setattr__, which costs more per request than the rest of building it.
@dataclass(slots=True)
class ChatResult:
    """A whole answer with what the service said about it.

    Attributes:
        text: The answer.
        model: The model that answered (the service's word when it gave one).
        usage: Token counts when the service gave them.
    """

    text: str
    model: str
    usage: dict[str, int] | None = None


@dataclass(slots=True)
class PreparedChat:
    """A chat request after every check, ready to send; never modified once built.

    Each provider prepares its own kind (:class:`~aiodynaspark.providers.WebFormChat`,
    :class:`~aiodynaspark.providers.RestChat`), which only it can send.

    Attributes:
        model: The resolved model id.
        prompt: The text sent as ``user_input``.
        stream: Whether the answer is to be read as a stream.
    """

    model: str
    prompt: str
    stream: bool = False


ChatT = TypeVar("ChatT", bound=PreparedChat)


class BaseProvider(Generic[ChatT]):
    """The provider shape of the original module: used through class methods, no instances.

    Subclasses set the attributes and implement :meth:`prepare_chat`, :meth:`complete` and
    :meth:`stream_chat`.
    """

    label: ClassVar[str] = "Dynaspark"
    url: ClassVar[str] = DEFAULT_BASE_URL
    endpoint_path: ClassVar[str] = "/generate_response"
    api_endpoint: ClassVar[str] = DEFAULT_BASE_URL + "/generate_response"
    working: ClassVar[bool] = True
    needs_auth: ClassVar[bool] = False
    supports_stream: ClassVar[bool] = True
    supports_system_message: ClassVar[bool] = False
    supports_message_history: ClassVar[bool] = False
    default_model: ClassVar[str] = "gemini-1.5-flash"
    default_vision_model: ClassVar[str] = "gemini-1.5-flash"
    vision_models: ClassVar[list[str]] = []
    models: ClassVar[list[str]] = []
    model_aliases: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The endpoint is derived from the root: one literal, never two.
        cls.api_endpoint = cls.url + cls.endpoint_path

    @classmethod
    def get_models(cls) -> list[str]:
        """Return the model ids this provider accepts (a copy)."""
        return list(cls.models)

    @classmethod
    def get_model(cls, model: str | None) -> str:
        """Resolve a model name to the id sent to the service.

        The rule: an exact model id is sent unchanged; an alias applies only to a name that
        is not a model id; an empty name (or ``None``) means :attr:`default_model`; anything
        else is refused.

        Args:
            model: A model id, an alias, or an empty name.

        Returns:
            The model id.

        Raises:
            ModelNotSupportedError: The name is neither a model id nor an alias.

        Example:
            >>> Dynaspark.get_model("gemini")
            'gemini-1.5-flash'
        """
        if model is None or model == "":
            return cls.default_model
        if not isinstance(model, str):
            raise ModelNotSupportedError(f"model must be a string, not {type(model).__name__}.")
        if model in cls.models:
            return model
        alias = cls.model_aliases.get(model)
        if alias is not None:
            return alias
        aliases = ", ".join(f"{a} -> {m}" for a, m in cls.model_aliases.items())
        raise ModelNotSupportedError(
            f"{cls.label} does not support model {echoed(model)}. Models: {', '.join(cls.models)}. "
            f"Aliases: {aliases}."
        )

    @classmethod
    def prepare_chat(
        cls, model: str | None, messages: object, media: object, options: dict[str, Any]
    ) -> ChatT:
        """Check a chat request completely; nothing is sent.

        Raises:
            InvalidRequestError: Any problem with the request (subclasses say which).
        """
        raise NotImplementedError

    @classmethod
    async def complete(cls, transport: Transport, chat: ChatT) -> ChatResult:
        """Send a prepared chat and return the whole answer."""
        raise NotImplementedError

    @classmethod
    def stream_chat(cls, transport: Transport, chat: ChatT) -> AsyncGenerator[str, None]:
        """Send a prepared chat and yield its pieces as they arrive."""
        raise NotImplementedError

    @classmethod
    async def create_async_generator(
        cls,
        model: str,
        messages: Messages,
        proxy: str | None = None,
        media: MediaList | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[str]:
        """Send a chat and yield the answer's text, piece by piece.

        Args:
            model: A model id or alias; empty for the default.
            messages: The conversation, OpenAI shaped.
            proxy: An ``http://`` proxy URL (credentials allowed, never logged).
            media: A list of images or ``(image, filename_or_None)`` pairs.
            **kwargs: ``base_url``, ``api_key``, ``timeout``, ``max_retries``, ``deadline``,
                ``session`` (an ``aiohttp.ClientSession`` to reuse; it stays open) and the
                provider's request options.

        Yields:
            Pieces of the answer; joined they are the whole answer.

        Raises:
            InvalidRequestError: Bad input, before any request.
            APIConnectionError: The service could not be reached.
            APIStatusError: The service refused (a subclass by status).
            ResponseError: The answer was not a valid answer.
        """
        settings, session, options = split_settings(kwargs, proxy)
        chat = cls.prepare_chat(model, messages, media, options)
        transport = Transport(settings, session=session)
        try:
            if chat.stream:
                async for piece in cls.stream_chat(transport, chat):
                    yield piece
            else:
                result = await cls.complete(transport, chat)
                yield result.text
        finally:
            await transport.aclose()  # closes only a session the transport opened

    @classmethod
    def create_completion(
        cls,
        model: str,
        messages: Messages,
        proxy: str | None = None,
        media: MediaList | None = None,
        **kwargs: Any,
    ) -> Iterator[str]:
        """The synchronous form of :meth:`create_async_generator`, for code without a loop.

        Returns:
            An iterator over the answer's pieces; it runs its own event loop while iterated.

        Raises:
            InvalidRequestError: Called while an event loop runs in this thread (use the async
                form there), or bad input. Otherwise as :meth:`create_async_generator`.
        """
        ensure_no_running_loop(
            f"{cls.__name__}.create_completion",
            f"'async for piece in {cls.__name__}.create_async_generator(...)'",
        )
        if "session" in kwargs:
            raise InvalidRequestError(
                "session= cannot be used with create_completion: an aiohttp session belongs "
                "to one event loop; use create_async_generator to reuse a session."
            )
        return iterate_in_new_loop(
            cls.create_async_generator(model, messages, proxy=proxy, media=media, **kwargs)
        )
