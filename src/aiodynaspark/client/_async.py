"""``AsyncClient``: the OpenAI-style asynchronous client."""

import base64
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Literal, Self, overload

import aiohttp

from .._config import resolve_settings
from .._errors import DynasparkError, InvalidRequestError
from .._http import Request, Transport
from .._limits import Limits
from .._prompt import plain_prompt
from .._types import MediaList, Messages
from ..providers import BaseProvider, ChatResult, Dynaspark, DynasparkAPI, PreparedChat
from ._models import (
    ChatCompletion,
    ChatCompletionChunk,
    ChoiceDelta,
    ChunkChoice,
    Image,
    ImagesResponse,
    Model,
    ModelList,
    SpeechResponse,
    new_completion_id,
)
from ._routing import ProviderChoice, choose_providers, combined_error, is_fallback_error

__all__ = ["AsyncClient", "AsyncStream"]

_log = logging.getLogger(__name__)

# OpenAI request fields with no Dynaspark counterpart that are safe to ignore: tools and
# SDKs send them by default.
IGNORED_FIELDS = frozenset(
    {"max_tokens", "max_completion_tokens", "stop", "user", "stream_options", "logprobs", "store"}
)
SPEECH_MODELS = frozenset({"openai-audio", "tts-1", "tts-1-hd", "gpt-4o-mini-tts"})


def _body(response: aiohttp.ClientResponse, raw: bytes) -> bytes:
    return raw


class AsyncStream:
    """The chunks of a streamed completion; iterate with ``async for``, close when done early."""

    def __init__(self, chunks: AsyncIterator[ChatCompletionChunk]) -> None:
        self._chunks = chunks

    def __aiter__(self) -> AsyncIterator[ChatCompletionChunk]:
        return self._chunks

    async def __anext__(self) -> ChatCompletionChunk:
        return await anext(self._chunks)

    async def aclose(self) -> None:
        """Stop the stream and release its connection."""
        aclose = getattr(self._chunks, "aclose", None)
        if aclose is not None:
            await aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class AsyncCompletions:
    """``client.chat.completions``."""

    def __init__(self, client: "AsyncClient") -> None:
        self._client = client

    def _prepare(
        self,
        model: str | None,
        messages: object,
        media: object,
        provider: ProviderChoice,
        stream: bool,
        options: dict[str, Any],
    ) -> list[tuple[type[BaseProvider], PreparedChat]]:
        choice = provider if provider is not None else self._client.provider
        if not options and media is None and not stream and (choice is None or choice == "auto"):
            # The commonest request: plain text, no options, the automatic choice, which
            # then is the web form. Checked in one pass; anything else takes the full path.
            prompt = plain_prompt(messages)
            if prompt is not None and prompt.strip():
                return [(Dynaspark, PreparedChat(Dynaspark.get_model(model), prompt))]
        sampling = _sampling_options(options) if options else options
        has_image = bool(media) or _has_image_part(messages)
        chosen = choose_providers(
            choice,
            has_image=has_image,
            options=sampling,
            stream=stream,
        )
        prepared = []
        for candidate in chosen:
            request_options = sampling if candidate is Dynaspark else {**sampling, "stream": stream}
            prepared.append(
                (candidate, candidate.prepare_chat(model, messages, media, request_options))
            )
        return prepared

    @overload
    async def create(
        self,
        *,
        messages: Messages,
        model: str | None = ...,
        stream: Literal[False] = ...,
        provider: ProviderChoice = ...,
        media: MediaList | None = ...,
        **options: Any,
    ) -> ChatCompletion: ...

    @overload
    async def create(
        self,
        *,
        messages: Messages,
        model: str | None = ...,
        stream: Literal[True],
        provider: ProviderChoice = ...,
        media: MediaList | None = ...,
        **options: Any,
    ) -> AsyncStream: ...

    async def create(
        self,
        *,
        messages: Messages,
        model: str | None = None,
        stream: bool = False,
        provider: ProviderChoice = None,
        media: MediaList | None = None,
        **options: Any,
    ) -> ChatCompletion | AsyncStream:
        """Create a chat completion, whole or streamed.

        Args:
            messages: The conversation, OpenAI shaped; ``image_url`` parts with ``data:`` URIs
                become the request's image (one at most).
            model: A model id or alias; default ``gemini-1.5-flash``.
            stream: Return an :class:`AsyncStream` of chunks instead of one completion.
            provider: ``"auto"`` (the client's choice, by default), ``Dynaspark``,
                ``DynasparkAPI``, or a list of them to fall back along in order on
                connection, timeout, 5xx and rate-limit errors.
            media: Images as the providers take them, besides ``image_url`` parts.
            **options: ``temperature``, ``top_p``, ``presence_penalty``,
                ``frequency_penalty``, ``seed``, ``system``, ``response_format``
                (``{"type": "json_object"}``), ``private``, ``referrer``. ``max_tokens``,
                ``stop``, ``user`` and ``n=1`` are accepted and ignored.

        Returns:
            A :class:`ChatCompletion`, or with ``stream=True`` an :class:`AsyncStream`.

        Raises:
            InvalidRequestError: Bad input, before any request.
            APIConnectionError, APIStatusError, ResponseError: The last attempt's failure;
                with several providers its message names every attempt.
        """
        return await self._create(
            messages=messages, model=model, stream=stream, provider=provider, media=media, **options
        )

    async def _create(
        self,
        *,
        messages: object,
        model: str | None = None,
        stream: bool = False,
        provider: ProviderChoice = None,
        media: object = None,
        **options: Any,
    ) -> ChatCompletion | AsyncStream:
        """:meth:`create` without its overloads, for callers whose ``stream`` is a plain bool.

        Returns:
            A :class:`ChatCompletion`, or with ``stream=True`` an :class:`AsyncStream`.
        """
        if not isinstance(stream, bool):
            raise InvalidRequestError(f"stream must be True or False, got {stream!r}.")
        prepared = self._prepare(model, messages, media, provider, stream, dict(options))
        if stream:
            return AsyncStream(self._stream(prepared))
        result, answered_by = await self._complete(prepared)
        # One validation of plain data with the id and time given: half the cost of building
        # the nested models one by one with their default factories.
        return ChatCompletion.model_validate(
            {
                "id": new_completion_id(),
                "created": int(time.time()),
                "model": result.model,
                "choices": [{"message": {"content": result.text}}],
                "usage": result.usage or None,
                "provider": answered_by,
            }
        )

    async def _complete(
        self, prepared: list[tuple[type[BaseProvider], PreparedChat]]
    ) -> tuple[ChatResult, str]:
        transport = self._client.transport
        attempts: list[tuple[str, DynasparkError]] = []
        for provider, chat in prepared:
            try:
                return await provider.complete(transport, chat), provider.__name__
            except DynasparkError as error:
                attempts.append((provider.__name__, error))
                if not is_fallback_error(error) or len(attempts) == len(prepared):
                    raise combined_error(attempts) from None
                _log.warning(
                    "%s failed (%s); falling back", provider.__name__, type(error).__name__
                )
        raise AssertionError("unreachable: prepared is never empty")

    async def _stream(
        self, prepared: list[tuple[type[BaseProvider], PreparedChat]]
    ) -> AsyncIterator[ChatCompletionChunk]:
        transport = self._client.transport
        completion_id = new_completion_id()
        created = int(time.time())
        attempts: list[tuple[str, DynasparkError]] = []
        for provider, chat in prepared:
            name = provider.__name__
            handed = False
            # One validation of plain data per chunk: a third of building the nested models.
            validate = ChatCompletionChunk.model_validate
            try:
                # Closed here, not by the garbage collector, when the caller stops early:
                # that is what releases the upstream connection at once.
                async with contextlib.aclosing(provider.stream_chat(transport, chat)) as pieces:
                    async for piece in pieces:
                        role = None if handed else "assistant"
                        yield validate(
                            {
                                "id": completion_id,
                                "created": created,
                                "model": chat.model,
                                "choices": [{"delta": {"role": role, "content": piece}}],
                                "provider": name,
                            }
                        )
                        handed = True
            except DynasparkError as error:
                attempts.append((name, error))
                if handed or not is_fallback_error(error) or len(attempts) == len(prepared):
                    raise combined_error(attempts) from None
                _log.warning("%s failed (%s); falling back", name, type(error).__name__)
                continue
            yield ChatCompletionChunk(
                id=completion_id,
                created=created,
                model=chat.model,
                choices=[ChunkChoice(delta=ChoiceDelta(), finish_reason="stop")],
                provider=name,
            )
            return


def _sampling_options(options: dict[str, Any]) -> dict[str, Any]:
    """Turn OpenAI request fields into provider options; ``options`` is the caller's copy.

    Raises:
        InvalidRequestError: A ``response_format`` or ``n`` the service cannot honour.
    """
    response_format = options.pop("response_format", None)
    if response_format is not None:
        kind = response_format.get("type") if isinstance(response_format, dict) else None
        if kind not in ("text", "json_object"):
            raise InvalidRequestError(
                "response_format must be {'type': 'text'} or {'type': 'json_object'}."
            )
        if kind == "json_object":
            options["json"] = True
    n = options.pop("n", None)
    if n not in (None, 1):
        raise InvalidRequestError(f"n must be 1: the service gives one answer, got {n!r}.")
    for name in IGNORED_FIELDS & options.keys():
        _log.debug("ignoring %s: the service has no such parameter", name)
        del options[name]
    return {k: v for k, v in options.items() if v is not None}


def _has_image_part(messages: object) -> bool:
    if not isinstance(messages, list | tuple):
        return False
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list) and any(
            isinstance(part, dict) and part.get("type") == "image_url" for part in content
        ):
            return True
    return False


class AsyncChat:
    """``client.chat``."""

    def __init__(self, client: "AsyncClient") -> None:
        self.completions = AsyncCompletions(client)


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
        **ignored: Any,
    ) -> ImagesResponse:
        """Generate one image from a prompt.

        Args:
            prompt: What to draw.
            model: ``flux`` (default), ``turbo`` or ``gptimage``.
            size: ``"WIDTHxHEIGHT"``, each side 64-2048; default ``768x768``.
            n: Must be 1 (or omitted).
            response_format: ``url`` (default; valid about 24 hours) or ``b64_json`` (the
                image is downloaded and returned inline).
            seed, nologo, wm: Passed to the service.
            **ignored: ``quality``, ``style``, ``user``: accepted for OpenAI compatibility.

        Raises:
            InvalidRequestError: Bad arguments, before any request.
            APIConnectionError, APIStatusError, ResponseError: As for chat.
        """
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
            data = await transport.send(Request("GET", result.url), _body)
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
        **ignored: Any,
    ) -> SpeechResponse:
        """Speak a text; ``.content`` of the result is MP3 bytes.

        Args:
            input: The text.
            voice: ``alloy`` (default), ``echo``, ``fable``, ``onyx``, ``nova`` or ``shimmer``.
            model: ``openai-audio``; OpenAI's ``tts-1`` names are accepted as the same.
            response_format: ``mp3`` only.

        Raises:
            InvalidRequestError: Empty text, unknown voice, model or format.
            APIConnectionError, APIStatusError, ResponseError: As for chat.
        """
        if model is not None and model not in SPEECH_MODELS:
            raise InvalidRequestError(
                f"Unknown speech model {model!r}; use one of {', '.join(sorted(SPEECH_MODELS))}."
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
        self.transport = Transport(self.settings, session=session)
        self.chat = AsyncChat(self)
        self.images = AsyncImages(self)
        self.audio = AsyncAudio(self)
        self.models = AsyncModels()

    @property
    def base_url(self) -> str:
        """The service root in use."""
        return self.settings.base_url

    async def close(self) -> None:
        """Close the connection pool (a session passed in stays open)."""
        await self.transport.aclose()

    async def __aenter__(self) -> Self:
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
