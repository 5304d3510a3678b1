"""The REST API's GET request, and its image and speech endpoints, for ``DynasparkAPI``.

:class:`RestMedia` holds the part of :class:`~.dynaspark_api.DynasparkAPI` that is not chat:
the request every REST call sends (the key added per send), image generation and download,
and speech. ``DynasparkAPI`` inherits it, so its public methods stay where users find them.
"""

from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

import aiohttp

from .._catalog import DEFAULT_IMAGE_MODEL, DEFAULT_VOICE, IMAGE_MODELS, SPEECH_MODEL, VOICES
from .._errors import APIStatusError, InvalidRequestError, ResponseError
from .._limits import echoed
from .._media import detect_image_type
from .._wire._http import Decoder, Request, Transport
from .._wire._response_body import json_object
from ._base import check_options, keyword_names, split_settings
from ._long_prompts import URI_TOO_LONG, url_bytes, url_too_long
from ._params import encode_bool, encode_int, encode_text, parse_size

__all__ = ["ImageResult", "RestMedia"]

T = TypeVar("T")

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


class RestMedia:
    """The REST API's request and its image and speech endpoints (a part of ``DynasparkAPI``)."""

    endpoint_path: ClassVar[str]  # the chat endpoint, which also speaks; set by the provider
    image_endpoint_path: ClassVar[str] = "/api/generate_image"
    audio_model: ClassVar[str] = SPEECH_MODEL
    image_models: ClassVar[list[str]] = list(IMAGE_MODELS)
    default_image_model: ClassVar[str] = DEFAULT_IMAGE_MODEL
    voices: ClassVar[list[str]] = list(VOICES)
    default_voice: ClassVar[str] = DEFAULT_VOICE

    @classmethod
    def _request(
        cls, transport: Transport, path: str, params: dict[str, str], model: str | None
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
    async def _send_short(
        cls,
        transport: Transport,
        path: str,
        params: dict[str, str],
        decode: Decoder[T],
        what: str,
    ) -> T:
        """Send a GET that only the REST API can answer, refused when its URL is too long.

        Raises:
            InvalidRequestError: The URL is over ``Limits.max_url_bytes``, or the host
                refused it as too long (414); ``what`` names the text to shorten.
        """
        size = url_bytes(transport, path, params)
        limit = transport.settings.limits.max_url_bytes
        if size > limit:
            raise url_too_long(size, limit, [], what)
        request = cls._request(transport, path, params, params.get("model"))
        try:
            return await transport.send(request, decode)
        except APIStatusError as error:
            if error.status_code == URI_TOO_LONG:
                raise url_too_long(None, limit, [], what) from None
            raise

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
                f"Unknown image model {echoed(chosen)}; choose one of "
                f"{', '.join(cls.image_models)}."
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
        path = cls.image_endpoint_path
        data = await cls._send_short(transport, path, params, json_object, "the image prompt")
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
                f"Unknown voice {echoed(chosen)}; choose one of {', '.join(cls.voices)}."
            )
        return {"user_input": text, "model": cls.audio_model, "voice": chosen}

    @classmethod
    async def request_speech(cls, transport: Transport, params: dict[str, str]) -> bytes:
        """Send a checked speech request; returns the MP3 bytes."""
        return await cls._send_short(
            transport, cls.endpoint_path, params, _speech, "the text to speak"
        )

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
        if rest:
            check_options(f"{cls.__name__}.generate_image", rest, keyword_names(cls.generate_image))
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
        if rest:
            check_options(
                f"{cls.__name__}.generate_speech", rest, keyword_names(cls.generate_speech)
            )
        params = cls.speech_params(text, voice)
        async with Transport(settings, session=session) as transport:
            return await cls.request_speech(transport, params)
