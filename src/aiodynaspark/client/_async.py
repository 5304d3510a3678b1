"""``AsyncClient``: the OpenAI-style asynchronous client."""

import base64
from types import TracebackType
from typing import Literal, Never, Self

import aiohttp

from .._catalog import SPEECH_MODEL_NAMES
from .._config import resolve_settings
from .._errors import InvalidRequestError
from .._http import AttemptObserver, Transport
from .._keywords import keywords_of, unexpected_keyword
from .._limits import Limits
from ..providers import Dynaspark, DynasparkAPI
from ._chat import AsyncChat, AsyncStream
from ._lifecycle import ClientState, enter_once
from ._models import Image, ImagesResponse, Model, ModelList, SpeechResponse
from ._routing import ProviderChoice, choose_providers

__all__ = ["AsyncClient", "AsyncStream"]


class AsyncImages:
    """``client.images``."""

    def __init__(self, client: "AsyncClient") -> None:
        self._client = client

    async def generate(
        self,
        *,
        prompt: str,
        model: str | None = None,
        size: str | None = None,
        n: int | None = None,
        response_format: Literal["url", "b64_json"] | None = None,
        seed: int | None = None,
        nologo: bool | None = None,
        wm: str | None = None,
        quality: str | None = None,
        style: str | None = None,
        user: str | None = None,
        **unexpected: Never,
    ) -> ImagesResponse:
        """Generate one image from a prompt.

        Args:
            prompt: What to draw.
            model: ``flux`` (default), ``turbo`` or ``gptimage``.
            size: ``"WIDTHxHEIGHT"``, each side 64-2048; default ``768x768``.
            n: Must be 1 (or omitted).
            response_format: ``url`` (default; valid about 24 hours) or ``b64_json`` (the
                image is downloaded and returned inline).
            seed: For reproducible images.
            nologo: Not OpenAI: ask for no logo.
            wm: Not OpenAI: custom watermark text.
            quality: Accepted and ignored, as are ``style`` and ``user``: OpenAI fields the
                service has no counterpart for.
            style: Accepted and ignored.
            user: Accepted and ignored.

        Raises:
            TypeError: An unknown keyword (the message names the nearest valid one).
            InvalidRequestError: Bad arguments, before any request.
            APIConnectionError, APIStatusError, ResponseError: As for chat.
        """
        if unexpected:
            raise unexpected_keyword("generate", unexpected, keywords_of(AsyncImages.generate))
        if n not in (None, 1):
            raise InvalidRequestError(f"n must be 1: the service makes one image, got {n!r}.")
        if response_format not in (None, "url", "b64_json"):
            raise InvalidRequestError("response_format must be 'url' or 'b64_json'.")
        params = DynasparkAPI.image_params(
            prompt, model=model, size=size, seed=seed, nologo=nologo, wm=wm
        )
        transport = self._client.transport
        result = await DynasparkAPI.request_image(transport, params)
        if response_format == "b64_json":
            data = await DynasparkAPI.download_image(transport, result.url)
            image = Image(b64_json=base64.b64encode(data).decode("ascii"), seed=result.seed)
        else:
            image = Image(url=result.url, seed=result.seed)
        return ImagesResponse(data=[image])


class AsyncSpeech:
    """``client.audio.speech``."""

    def __init__(self, client: "AsyncClient") -> None:
        self._client = client

    async def create(
        self,
        *,
        input: str,
        voice: str | None = None,
        model: str | None = None,
        response_format: str | None = None,
        speed: float | None = None,
        instructions: str | None = None,
        **unexpected: Never,
    ) -> SpeechResponse:
        """Speak a text; ``.content`` of the result is MP3 bytes.

        Args:
            input: The text.
            voice: ``alloy`` (default), ``echo``, ``fable``, ``onyx``, ``nova`` or ``shimmer``.
            model: ``openai-audio``; OpenAI's ``tts-1`` names are accepted as the same.
            response_format: ``mp3`` only.
            speed: Accepted and ignored, as is ``instructions``: the service has no
                counterpart.
            instructions: Accepted and ignored.

        Raises:
            TypeError: An unknown keyword (the message names the nearest valid one).
            InvalidRequestError: Empty text, unknown voice, model or format.
            APIConnectionError, APIStatusError, ResponseError: As for chat.
        """
        if unexpected:
            raise unexpected_keyword("create", unexpected, keywords_of(AsyncSpeech.create))
        if model is not None and model not in SPEECH_MODEL_NAMES:
            raise InvalidRequestError(
                f"Unknown speech model {model!r}; use one of "
                f"{', '.join(sorted(SPEECH_MODEL_NAMES))}."
            )
        if response_format not in (None, "mp3"):
            raise InvalidRequestError("response_format must be 'mp3': the service makes MP3.")
        params = DynasparkAPI.speech_params(input, voice)
        return SpeechResponse(await DynasparkAPI.request_speech(self._client.transport, params))


class AsyncAudio:
    """``client.audio``."""

    def __init__(self, client: "AsyncClient") -> None:
        self.speech = AsyncSpeech(client)


class AsyncModels:
    """``client.models``."""

    async def list(self) -> ModelList:
        """List the chat model ids (no request: the list is known)."""
        return ModelList(data=[Model(id=model_id) for model_id in Dynaspark.get_models()])


class AsyncClient:
    """An OpenAI-style asynchronous client for Dynaspark, with one connection pool.

    Args:
        base_url: The service root; default ``DYNASPARK_BASE_URL`` or the public host.
        api_key: The REST API key; default ``DYNASPARK_API_KEY`` (none is needed today).
        timeout: Total seconds per attempt; default ``DYNASPARK_TIMEOUT`` or 90.
        max_retries: Retries after the first attempt; default ``DYNASPARK_MAX_RETRIES`` or 2.
        proxy: An ``http://`` proxy URL; ``HTTP(S)_PROXY`` apply unless ``trust_env=False``.
        provider: Who serves chat requests by default (see ``chat.completions.create``).
        session: An ``aiohttp.ClientSession`` to use instead of the client's own; you close it.
        connection_limit: Most simultaneous connections; default 100.
        max_retry_wait: Longest server-asked wait slept through before retrying; default 60.
        trust_env: Read proxy settings from the environment.
        backoff_base: First backoff ceiling in seconds; default 0.5.
        limits: Bounds on URL length and on what is read from the service
            (:class:`~aiodynaspark.Limits`); default ``Limits()``.
        attempt_observer: Called after each attempt with its outcome and the answer's
            headers (see :data:`~aiodynaspark._http.AttemptObserver`); the gateway counts
            upstream attempts and reads the host's rate limit headers with it.

    Raises:
        InvalidRequestError: A malformed setting.

    Example:
        >>> async with AsyncClient() as client:
        ...     done = await client.chat.completions.create(
        ...         model="gemini-2.0-flash", messages=[{"role": "user", "content": "Hi"}]
        ...     )
        ...     print(done.choices[0].message.content)
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        proxy: str | None = None,
        *,
        provider: ProviderChoice = None,
        session: aiohttp.ClientSession | None = None,
        connection_limit: int | None = None,
        max_retry_wait: float | None = None,
        trust_env: bool = True,
        backoff_base: float | None = None,
        limits: Limits | None = None,
        attempt_observer: AttemptObserver | None = None,
    ) -> None:
        self.settings = resolve_settings(
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_retries=max_retries,
            proxy=proxy,
            connection_limit=connection_limit,
            max_retry_wait=max_retry_wait,
            trust_env=trust_env,
            backoff_base=backoff_base,
            limits=limits,
        )
        # Checked now so a typo fails at construction, not at the first request.
        choose_providers(provider, has_image=False, options={}, stream=False)
        self.provider = provider
        self._state = ClientState.UNOPENED
        self.transport = Transport(self.settings, session=session, observer=attempt_observer)
        self.chat = AsyncChat(self)
        self.images = AsyncImages(self)
        self.audio = AsyncAudio(self)
        self.models = AsyncModels()

    @property
    def base_url(self) -> str:
        """The service root in use."""
        return self.settings.base_url

    @property
    def is_closed(self) -> bool:
        """Whether the client has been closed; a closed client sends nothing more."""
        return self._state is ClientState.CLOSED

    async def close(self) -> None:
        """Close the connection pool (a session passed in stays open).

        Every later request is refused with :class:`InvalidRequestError`; closing twice is
        harmless.
        """
        self._state = ClientState.CLOSED
        await self.transport.aclose()

    async def __aenter__(self) -> Self:
        """Open the client for an ``async with`` block, which closes it at the end.

        Raises:
            InvalidRequestError: The client is already inside an ``async with`` block, or
                has been closed: one client, one block; build another client instead.
        """
        enter_once(self, self._state)
        self._state = ClientState.OPENED
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncClient({self.settings!r})"
