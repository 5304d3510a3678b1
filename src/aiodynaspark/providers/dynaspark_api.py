"""``DynasparkAPI``: the REST API the service's authors document (``GET /api/...``)."""

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import aiohttp

from .._catalog import CHAT_ALIASES, CHAT_MODELS, DEFAULT_CHAT_MODEL
from .._chat_options import OPTIONS_BY_NAME, REST_OPTIONS
from .._errors import InvalidRequestError, MediaError, ResponseError
from .._prompt import flatten_messages, parse_messages
from .._wire._http import Transport
from .._wire._response_body import json_object, read_body
from .._wire._sse import iter_text_pieces
from ._base import BaseProvider, ChatResult, PreparedChat, check_options
from ._long_prompts import chat_too_long, rest_only_options, url_bytes
from ._params import encode_option, encode_text
from ._rest_media import RestMedia

__all__ = ["DynasparkAPI", "RestChat"]

# The REST API's chat keywords: its query parameters as declared, and stream.
_API_KEYWORDS = frozenset({option.name for option in REST_OPTIONS} | {"stream"})
# Sent, but not as given: system messages may fill the system prompt, stream is per call.
_NOT_QUERIED = frozenset({"system", "stream"})
# What a stream adds to the URL: "&stream=true".
_STREAM_PARAM_BYTES = len("&stream=true")


@dataclass(slots=True)
class RestChat(PreparedChat):
    """A REST API chat request, checked, with its query encoded.

    Attributes:
        params: The query parameters, ``user_input`` included (the key is added per send).
        implied: Parameters the client added for itself (JSON mode for tools), which it may
            leave out without asking when the chat goes by the web form.
    """

    params: dict[str, str] = field(default_factory=dict)
    implied: frozenset[str] = frozenset()


def _read_usage(value: object) -> dict[str, int] | None:
    if not isinstance(value, dict):
        return None
    usage = {
        key: value[key]
        for key in ("prompt_tokens", "completion_tokens", "total_tokens")
        if isinstance(value.get(key), int) and not isinstance(value.get(key), bool)
    }
    return usage if len(usage) == 3 else None


async def _whole_answer(
    response: aiohttp.ClientResponse, limit: int, source: str
) -> AsyncGenerator[str, None]:
    data = json_object(response, await read_body(response, limit, source))
    text = data.get("response")
    if not isinstance(text, str):
        raise ResponseError("The REST API answered with JSON without 'response'.")
    yield text


class DynasparkAPI(RestMedia, BaseProvider[RestChat]):
    """The REST API: sampling parameters, a system prompt, real streaming, images, speech.

    Takes no image input (the endpoint is a GET with query parameters); use
    :class:`Dynaspark` to send one.

    Example:
        >>> async for piece in DynasparkAPI.create_async_generator(
        ...     "gemini-2.0-flash", [{"role": "user", "content": "Hi"}], temperature=0.2
        ... ):
        ...     print(piece, end="")
    """

    label: ClassVar[str] = "DynasparkAPI"
    endpoint_path: ClassVar[str] = "/api/generate_response"
    supports_stream: ClassVar[bool] = True
    supports_system_message: ClassVar[bool] = True
    supports_message_history: ClassVar[bool] = False
    default_model: ClassVar[str] = DEFAULT_CHAT_MODEL
    default_vision_model: ClassVar[str] = DEFAULT_CHAT_MODEL
    vision_models: ClassVar[list[str]] = []
    models: ClassVar[list[str]] = list(CHAT_MODELS)
    model_aliases: ClassVar[dict[str, str]] = dict(CHAT_ALIASES)

    @classmethod
    def prepare_chat(
        cls, model: str | None, messages: object, media: object, options: dict[str, Any]
    ) -> RestChat:
        """Check the request and encode its query; nothing is sent.

        System messages become ``system`` unless ``system=`` is given; the other messages are
        flattened into ``user_input``. ``stream`` defaults to ``True``.

        Raises:
            InvalidRequestError: An option out of its range (named with the range), a
                malformed conversation, no text, or an unknown keyword.
            ModelNotSupportedError: Unknown model.
            MediaError: Any image: the REST API takes none.
        """
        check_options(cls.__name__, options, _API_KEYWORDS)
        resolved = cls.get_model(model)
        parsed = parse_messages(messages)
        if media or any(message.image_urls for message in parsed):
            raise MediaError(
                "The REST API (DynasparkAPI) takes no image; send images with Dynaspark."
            )
        params: dict[str, str] = {"model": resolved}
        for name, value in options.items():
            if value is not None and name not in _NOT_QUERIED:
                params[name] = encode_option(OPTIONS_BY_NAME[name], value)
        system = options.get("system")
        turns = parsed
        if system is None:
            # System messages move to the system parameter; an explicit system= leaves
            # them in the conversation, where they are flattened like the rest.
            system = "\n".join(m.text for m in parsed if m.is_system and m.text) or None
            turns = [m for m in parsed if not m.is_system]
        if system is not None:
            params["system"] = encode_text("system", system)
        prompt = flatten_messages(turns) if turns else ""
        if not prompt.strip():
            raise InvalidRequestError("The conversation has no text; the service needs a prompt.")
        stream = options.get("stream")
        stream = True if stream is None else stream
        if not isinstance(stream, bool):
            raise InvalidRequestError(f"stream must be True or False, got {stream!r}.")
        params["user_input"] = prompt
        return RestChat(resolved, prompt, stream, params)

    @classmethod
    def url_overflow(cls, transport: Transport, chat: RestChat) -> int | None:
        """The length of the chat's URL when it is over ``Limits.max_url_bytes``, else ``None``.

        Counted without building the URL, so the client's routing can ask before choosing
        this provider: a chat that does not fit goes by the web form (``client/_routing.py``).
        """
        size = url_bytes(transport, cls.endpoint_path, chat.params)
        if chat.stream:
            size += _STREAM_PARAM_BYTES
        return size if size > transport.settings.limits.max_url_bytes else None

    @classmethod
    def _check_fits(cls, transport: Transport, chat: RestChat, stream: bool) -> None:
        """Refuse, before any I/O, a chat whose URL is over the budget (sent here directly)."""
        measured = chat if chat.stream is stream else RestChat(chat.model, "", stream, chat.params)
        if (size := cls.url_overflow(transport, measured)) is not None:
            limit = transport.settings.limits.max_url_bytes
            raise chat_too_long(size, limit, rest_only_options(chat.params), routed=False)

    @classmethod
    async def complete(cls, transport: Transport, chat: RestChat) -> ChatResult:
        """Ask for the whole answer, with the model and usage when the service gives them.

        A chat too long for the URL is refused here; the client's routing sends such a chat
        by the web form instead (see :mod:`._long_prompts`).

        Raises:
            InvalidRequestError: Too long for the URL.
            APIStatusError: The host refused the URL as too long (414) or otherwise failed.
        """
        cls._check_fits(transport, chat, stream=False)
        request = cls._request(transport, cls.endpoint_path, chat.params, chat.model)
        data = await transport.send(request, json_object)
        text = data.get("response")
        if not isinstance(text, str):
            raise ResponseError(
                "The REST API answered with JSON that has no string 'response' "
                f"(keys: {', '.join(sorted(data)) or 'none'})."
            )
        model = data.get("model")
        return ChatResult(
            text=text,
            model=model if isinstance(model, str) and model else chat.model,
            usage=_read_usage(data.get("usage")),
        )

    @classmethod
    def stream_chat(cls, transport: Transport, chat: RestChat) -> AsyncGenerator[str, None]:
        """Ask for a server-sent-event stream and yield each piece as it arrives.

        The transport's iterator is handed out as is rather than re-yielded: each layer of
        async generators costs about a microsecond per piece (``python -m benchmarks``).
        """
        cls._check_fits(transport, chat, stream=True)
        params = {**(chat.params), "stream": "true"}
        request = cls._request(transport, cls.endpoint_path, params, chat.model)
        settings = transport.settings
        limits = settings.limits

        def parse(response: aiohttp.ClientResponse) -> AsyncGenerator[str, None]:
            if response.content_type == "application/json":
                # A server that ignored stream=true: its whole answer is one piece.
                return _whole_answer(response, limits.max_response_bytes, request.url)
            return iter_text_pieces(
                response.content.iter_any(),
                source=request.url,
                max_event_bytes=limits.max_event_bytes,
                max_stream_bytes=limits.max_stream_bytes,
                idle_timeout=settings.stream_idle_timeout,
            )

        return transport.stream(request, parse)
