"""``DynasparkAPI``: the REST API the service's authors document (``GET /api/...``)."""

import contextlib
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

import aiohttp

from .._catalog import (
    CHAT_ALIASES,
    CHAT_MODELS,
    DEFAULT_CHAT_MODEL,
    DEFAULT_IMAGE_MODEL,
    DEFAULT_VOICE,
    IMAGE_MODELS,
    SPEECH_MODEL,
    VOICES,
)
from .._chat_options import OPTIONS_BY_NAME, REST_OPTIONS
from .._errors import APIStatusError, InvalidRequestError, MediaError, ResponseError
from .._http import Request, Transport
from .._media import detect_image_type
from .._prompt import flatten_messages, parse_messages
from .._response_body import json_object, read_body
from .._sse import iter_text_pieces
from ._base import BaseProvider, ChatResult, PreparedChat, split_settings
from ._long_prompts import (
    URI_TOO_LONG,
    folded_prompt,
    rest_only_options,
    url_bytes,
    url_too_long,
)
from ._params import encode_bool, encode_int, encode_option, encode_text, parse_size
from .dynaspark import Dynaspark, WebFormChat, check_options

__all__ = ["DynasparkAPI", "ImageResult", "RestChat"]

_log = logging.getLogger(__name__)

# The REST API's chat keywords: its query parameters as declared, and stream.
_API_KEYWORDS = frozenset({option.name for option in REST_OPTIONS} | {"stream"})
# Sent, but not as given: system messages may fill the system prompt, stream is per call.
_NOT_QUERIED = frozenset({"system", "stream"})
_HEADERS = {
    "accept": "application/json, text/event-stream, audio/mpeg",
    "user-agent": "aiodynaspark",
}


@dataclass(frozen=True, slots=True)
class ImageResult:
    """A generated image: where to fetch it (valid about 24 hours) and how it was made."""

    url: str
    model: str
    seed: int | None = None


@dataclass(slots=True)
class RestChat(PreparedChat):
    """A REST API chat request, checked, with its query encoded.

    Attributes:
        params: The query parameters, ``user_input`` included (the key is added per send).
    """

    params: dict[str, str] = field(default_factory=dict)


def _read_usage(value: object) -> dict[str, int] | None:
    if not isinstance(value, dict):
        return None
    usage = {
        key: value[key]
        for key in ("prompt_tokens", "completion_tokens", "total_tokens")
        if isinstance(value.get(key), int) and not isinstance(value.get(key), bool)
    }
    return usage if len(usage) == 3 else None


def _speech(response: aiohttp.ClientResponse, data: bytes) -> bytes:
    kind = response.headers.get("content-type", "")
    if kind.startswith("audio/") or data[:3] == b"ID3" or data[:2] in (b"\xff\xfb", b"\xff\xf3"):
        if not data:
            raise ResponseError("The service sent an empty audio answer.")
        return data
    raise ResponseError(
        f"Expected audio from the speech endpoint, got {kind or 'no content type'} "
        f"({data[:80].decode('utf-8', 'replace')!r})."
    )


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        port = -1
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def _image_bytes(response: aiohttp.ClientResponse, data: bytes) -> bytes:
    if detect_image_type(data[:16]) is None:
        kind = response.headers.get("content-type", "no content type")
        raise ResponseError(
            f"The service's image URL answered {kind} that is not a JPEG, PNG, GIF or WEBP "
            "image; it is not passed on."
        )
    return data


async def _whole_answer(
    response: aiohttp.ClientResponse, limit: int, source: str
) -> AsyncGenerator[str, None]:
    data = json_object(response, await read_body(response, limit, source))
    text = data.get("response")
    if not isinstance(text, str):
        raise ResponseError("The REST API answered with JSON without 'response'.")
    yield text


class DynasparkAPI(BaseProvider[RestChat]):
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
    image_endpoint_path: ClassVar[str] = "/api/generate_image"
    supports_stream: ClassVar[bool] = True
    supports_system_message: ClassVar[bool] = True
    supports_message_history: ClassVar[bool] = False
    default_model: ClassVar[str] = DEFAULT_CHAT_MODEL
    default_vision_model: ClassVar[str] = DEFAULT_CHAT_MODEL
    vision_models: ClassVar[list[str]] = []
    models: ClassVar[list[str]] = list(CHAT_MODELS)
    model_aliases: ClassVar[dict[str, str]] = dict(CHAT_ALIASES)
    audio_model: ClassVar[str] = SPEECH_MODEL
    image_models: ClassVar[list[str]] = list(IMAGE_MODELS)
    default_image_model: ClassVar[str] = DEFAULT_IMAGE_MODEL
    voices: ClassVar[list[str]] = list(VOICES)
    default_voice: ClassVar[str] = DEFAULT_VOICE

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
    def _request(
        cls, transport: Transport, path: str, params: dict[str, str], model: str
    ) -> Request:
        if transport.settings.api_key:
            params = {**params, "api_key": transport.settings.api_key}
        return Request(
            method="GET",
            url=transport.settings.base_url + path,
            params=params,
            headers=_HEADERS,
            model=model,
        )

    @classmethod
    def _over_budget(cls, transport: Transport, params: dict[str, str]) -> int | None:
        """The URL's length when it is over ``Limits.max_url_bytes``, else ``None``."""
        size = url_bytes(transport, cls.endpoint_path, params)
        return size if size > transport.settings.limits.max_url_bytes else None

    @classmethod
    async def _by_form(cls, transport: Transport, chat: RestChat, size: int | None) -> str:
        """Send a chat too long for a URL by the web form, or refuse it if it needs the API."""
        needs = rest_only_options(chat.params)
        if needs:
            limit = transport.settings.limits.max_url_bytes
            raise url_too_long(size, limit, needs, "the conversation")
        _log.info("chat of %s URL bytes goes by the web form", "too many" if size is None else size)
        form = WebFormChat(chat.model, folded_prompt(chat.params))
        return (await Dynaspark.complete(transport, form)).text

    @classmethod
    async def complete(cls, transport: Transport, chat: RestChat) -> ChatResult:
        """Ask for the whole answer, with the model and usage when the service gives them.

        A chat too long for the URL goes by the web form when it can (see
        :mod:`._long_prompts`); then the answer has no usage.

        Raises:
            InvalidRequestError: Too long for the URL and in need of the REST API.
        """
        if (size := cls._over_budget(transport, chat.params)) is not None:
            return ChatResult(text=await cls._by_form(transport, chat, size), model=chat.model)
        request = cls._request(transport, cls.endpoint_path, chat.params, chat.model)
        try:
            data = await transport.send(request, json_object)
        except APIStatusError as error:
            if error.status_code != URI_TOO_LONG:
                raise
            return ChatResult(text=await cls._by_form(transport, chat, None), model=chat.model)
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
        params = {**(chat.params), "stream": "true"}
        if (size := cls._over_budget(transport, params)) is not None:
            return cls._form_stream(transport, chat, size)
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

        return cls._unless_too_long(transport, chat, transport.stream(request, parse))

    @classmethod
    async def _form_stream(
        cls, transport: Transport, chat: RestChat, size: int | None
    ) -> AsyncGenerator[str, None]:
        yield await cls._by_form(transport, chat, size)

    @classmethod
    async def _unless_too_long(
        cls, transport: Transport, chat: RestChat, pieces: AsyncGenerator[str, None]
    ) -> AsyncGenerator[str, None]:
        """Pass ``pieces`` on; a 414 before the first one sends the chat by the web form."""
        async with contextlib.aclosing(pieces):
            try:
                first = await anext(pieces)
            except StopAsyncIteration:
                return
            except APIStatusError as error:
                if error.status_code != URI_TOO_LONG:
                    raise
                yield await cls._by_form(transport, chat, None)
                return
            yield first
            async for piece in pieces:
                yield piece

    @classmethod
    def image_params(
        cls,
        prompt: object,
        *,
        model: str | None = None,
        size: str | None = None,
        seed: int | None = None,
        nologo: bool | None = None,
        wm: str | None = None,
    ) -> dict[str, str]:
        """Check an image request and encode its query.

        Raises:
            InvalidRequestError: Empty prompt, unknown model, bad size or seed.
        """
        if not isinstance(prompt, str) or not prompt.strip():
            raise InvalidRequestError("An image prompt must be a non-empty string.")
        chosen = model or cls.default_image_model
        if chosen not in cls.image_models:
            raise InvalidRequestError(
                f"Unknown image model {chosen!r}; choose one of {', '.join(cls.image_models)}."
            )
        width, height = parse_size(size) if size is not None else (768, 768)
        params = {"user_input": prompt, "model": chosen, "width": str(width), "height": str(height)}
        if seed is not None:
            params["seed"] = encode_int("seed", seed)
        if nologo is not None:
            params["nologo"] = encode_bool("nologo", nologo)
        if wm is not None:
            params["wm"] = encode_text("wm", wm)
        return params

    @classmethod
    async def request_image(cls, transport: Transport, params: dict[str, str]) -> ImageResult:
        """Send a checked image request (see :meth:`image_params`)."""
        size = url_bytes(transport, cls.image_endpoint_path, params)
        limit = transport.settings.limits.max_url_bytes
        if size > limit:
            raise url_too_long(size, limit, [], "the image prompt")
        request = cls._request(transport, cls.image_endpoint_path, params, params["model"])
        try:
            data = await transport.send(request, json_object)
        except APIStatusError as error:
            if error.status_code == URI_TOO_LONG:
                raise url_too_long(None, limit, [], "the image prompt") from None
            raise
        url = data.get("image_url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ResponseError("The image endpoint answered without an http(s) 'image_url'.")
        seed = data.get("seed")
        model = data.get("model")
        return ImageResult(
            url=url,
            model=model if isinstance(model, str) else params["model"],
            seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
        )

    @classmethod
    async def download_image(cls, transport: Transport, url: str) -> bytes:
        """Fetch a generated image the service pointed to, for ``b64_json`` answers.

        The URL comes from the service's answer, so it is not trusted: it is fetched only
        from the service's own origin (scheme, host and port of ``base_url``), redirects are
        not followed, the body is read under ``Limits.max_response_bytes``, and it must be a
        JPEG, PNG, GIF or WEBP image.

        Raises:
            ResponseError: Another origin, a redirect, a body over the bound or not an image.
            APIConnectionError, APIStatusError: As for chat.
        """
        base = transport.settings.base_url
        if _origin_of(url) != _origin_of(base):
            raise ResponseError(
                f"The service's image URL points to another origin ({_origin_of(url)}, not "
                f"{_origin_of(base)}); it is not fetched. Ask for response_format='url' "
                "and fetch it yourself if you trust it."
            )
        return await transport.send(Request("GET", url, model="image"), _image_bytes)

    @classmethod
    def speech_params(cls, text: object, voice: str | None = None) -> dict[str, str]:
        """Check a speech request and encode its query.

        Raises:
            InvalidRequestError: Empty text or an unknown voice.
        """
        if not isinstance(text, str) or not text.strip():
            raise InvalidRequestError("The text to speak must be a non-empty string.")
        chosen = voice or cls.default_voice
        if chosen not in cls.voices:
            raise InvalidRequestError(
                f"Unknown voice {chosen!r}; choose one of {', '.join(cls.voices)}."
            )
        return {"user_input": text, "model": cls.audio_model, "voice": chosen}

    @classmethod
    async def request_speech(cls, transport: Transport, params: dict[str, str]) -> bytes:
        """Send a checked speech request; returns the MP3 bytes."""
        size = url_bytes(transport, cls.endpoint_path, params)
        limit = transport.settings.limits.max_url_bytes
        if size > limit:
            raise url_too_long(size, limit, [], "the text to speak")
        request = cls._request(transport, cls.endpoint_path, params, cls.audio_model)
        try:
            return await transport.send(request, _speech)
        except APIStatusError as error:
            if error.status_code == URI_TOO_LONG:
                raise url_too_long(None, limit, [], "the text to speak") from None
            raise

    @classmethod
    async def generate_image(
        cls,
        prompt: str,
        *,
        model: str | None = None,
        size: str | None = None,
        seed: int | None = None,
        nologo: bool | None = None,
        wm: str | None = None,
        proxy: str | None = None,
        **kwargs: Any,
    ) -> ImageResult:
        """Generate an image from a prompt.

        Args:
            prompt: What to draw.
            model: ``flux`` (default), ``turbo`` or ``gptimage``.
            size: ``"WIDTHxHEIGHT"``, each side 64-2048; default ``768x768``.
            seed: For reproducible images.
            nologo: Ask for no logo.
            wm: Custom watermark text.
            proxy: An ``http://`` proxy URL.
            **kwargs: Connection keywords (``base_url``, ``api_key``, ``timeout``,
                ``max_retries``, ``session``).

        Returns:
            The image's URL (valid about 24 hours), model and seed.

        Raises:
            InvalidRequestError: Bad arguments, before any request.
            APIConnectionError, APIStatusError, ResponseError: As for chat.
        """
        settings, session, rest = split_settings(kwargs, proxy)
        check_options(cls.__name__, rest, frozenset())
        params = cls.image_params(prompt, model=model, size=size, seed=seed, nologo=nologo, wm=wm)
        async with Transport(settings, session=session) as transport:
            return await cls.request_image(transport, params)

    @classmethod
    async def generate_speech(
        cls, text: str, *, voice: str | None = None, proxy: str | None = None, **kwargs: Any
    ) -> bytes:
        """Speak a text: returns MP3 bytes.

        Args:
            text: What to say.
            voice: One of :attr:`voices`; default ``alloy``.
            proxy: An ``http://`` proxy URL.
            **kwargs: Connection keywords, as :meth:`generate_image`.

        Raises:
            InvalidRequestError: Empty text or unknown voice, before any request.
            APIConnectionError, APIStatusError, ResponseError: As for chat.
        """
        settings, session, rest = split_settings(kwargs, proxy)
        check_options(cls.__name__, rest, frozenset())
        params = cls.speech_params(text, voice)
        async with Transport(settings, session=session) as transport:
            return await cls.request_speech(transport, params)
