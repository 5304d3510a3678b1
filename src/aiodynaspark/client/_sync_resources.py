"""The synchronous client's resources: each hands its call to the async client's twin."""

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal, Never, Self, Unpack, overload

from .._chat_options import CLIENT_KEYWORDS
from .._keywords import keywords_of, unexpected_keyword
from .._types import (
    ChatTool,
    JSONSchemaFormat,
    MediaList,
    Messages,
    ResponseFormat,
    StreamOptions,
    ToolChoice,
)
from ._chat import CREATE_KEYWORDS, PARSE_KEYWORDS, AsyncStream
from ._loop_thread import LoopThread
from ._models import (
    ChatCompletion,
    ChatCompletionChunk,
    ImagesResponse,
    Model,
    ModelList,
    SpeechResponse,
)
from ._parsed import PARSE_OPTIONS, ModelT, ParsedChatCompletion, ParseOptions
from ._routing import ProviderChoice, Truncation

if TYPE_CHECKING:
    from ._sync_client import Client

__all__ = ["Audio", "Chat", "Completions", "Images", "Models", "Speech", "Stream"]


class Stream:
    """The chunks of a streamed completion, iterated synchronously."""

    def __init__(self, stream: AsyncStream, runner: LoopThread) -> None:
        self._stream = stream
        self._runner = runner

    @property
    def whole(self) -> bool:
        """As :attr:`AsyncStream.whole`: the answer arrives in one piece, by the web form."""
        return self._stream.whole

    @property
    def dropped_params(self) -> tuple[str, ...]:
        """As :attr:`AsyncStream.dropped_params`."""
        return self._stream.dropped_params

    def __iter__(self) -> Iterator[ChatCompletionChunk]:
        return self

    def __next__(self) -> ChatCompletionChunk:
        try:
            return self._runner.run(anext(self._stream))
        except StopAsyncIteration:
            raise StopIteration from None

    def close(self) -> None:
        """Stop the stream and release its connection."""
        self._runner.run(self._stream.aclose(), closing=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Completions:
    """``client.chat.completions``."""

    def __init__(self, client: "Client") -> None:
        self._client = client

    @overload
    def create(
        self,
        *,
        messages: Messages,
        model: str | None = None,
        stream: Literal[False] = False,
        provider: ProviderChoice = None,
        media: MediaList | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        seed: int | None = None,
        system: str | None = None,
        private: bool | None = None,
        referrer: str | None = None,
        response_format: ResponseFormat | JSONSchemaFormat | None = None,
        n: int | None = None,
        tools: list[ChatTool] | None = None,
        tool_choice: ToolChoice | None = None,
        parallel_tool_calls: bool | None = None,
        stop: str | list[str] | None = None,
        truncation: Truncation | None = None,
        max_tokens: int | None = None,
        max_completion_tokens: int | None = None,
        stream_options: StreamOptions | None = None,
        user: str | None = None,
        logprobs: bool | None = None,
        store: bool | None = None,
    ) -> ChatCompletion: ...

    @overload
    def create(
        self,
        *,
        messages: Messages,
        model: str | None = None,
        stream: Literal[True],
        provider: ProviderChoice = None,
        media: MediaList | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        seed: int | None = None,
        system: str | None = None,
        private: bool | None = None,
        referrer: str | None = None,
        response_format: ResponseFormat | JSONSchemaFormat | None = None,
        n: int | None = None,
        tools: list[ChatTool] | None = None,
        tool_choice: ToolChoice | None = None,
        parallel_tool_calls: bool | None = None,
        stop: str | list[str] | None = None,
        truncation: Truncation | None = None,
        max_tokens: int | None = None,
        max_completion_tokens: int | None = None,
        stream_options: StreamOptions | None = None,
        user: str | None = None,
        logprobs: bool | None = None,
        store: bool | None = None,
    ) -> Stream: ...

    @overload
    def create(
        self,
        *,
        messages: Messages,
        model: str | None = None,
        stream: bool,
        provider: ProviderChoice = None,
        media: MediaList | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        seed: int | None = None,
        system: str | None = None,
        private: bool | None = None,
        referrer: str | None = None,
        response_format: ResponseFormat | JSONSchemaFormat | None = None,
        n: int | None = None,
        tools: list[ChatTool] | None = None,
        tool_choice: ToolChoice | None = None,
        parallel_tool_calls: bool | None = None,
        stop: str | list[str] | None = None,
        truncation: Truncation | None = None,
        max_tokens: int | None = None,
        max_completion_tokens: int | None = None,
        stream_options: StreamOptions | None = None,
        user: str | None = None,
        logprobs: bool | None = None,
        store: bool | None = None,
    ) -> ChatCompletion | Stream: ...

    def create(
        self,
        *,
        messages: Messages,
        model: str | None = None,
        stream: bool = False,
        provider: ProviderChoice = None,
        media: MediaList | None = None,
        **options: Any,
    ) -> ChatCompletion | Stream:
        """Create a chat completion; the arguments are those of the async client's ``create``.

        Returns:
            A :class:`ChatCompletion`, or with ``stream=True`` a :class:`Stream`.

        Raises:
            TypeError: An unknown keyword (the message names the nearest valid one).
            InvalidRequestError: Bad input, before any request; or a call from inside a
                running event loop in this thread.
            APIConnectionError, APIStatusError, ResponseError: As the async client.
        """
        if options and not options.keys() <= CLIENT_KEYWORDS:
            raise unexpected_keyword("create", options, CREATE_KEYWORDS)
        result = self._client._run(
            self._client._async.chat.completions.create(
                messages=messages,
                model=model,
                stream=stream,
                provider=provider,
                media=media,
                **options,
            )
        )
        if isinstance(result, AsyncStream):
            return Stream(result, self._client._runner)
        return result

    def parse(
        self,
        *,
        messages: Messages,
        response_format: type[ModelT],
        model: str | None = None,
        provider: ProviderChoice = None,
        media: MediaList | None = None,
        **options: Unpack[ParseOptions],
    ) -> ParsedChatCompletion[ModelT]:
        """Ask for an answer that follows a pydantic model, and read it into one.

        The arguments are those of the async client's ``parse``.

        Returns:
            The completion; ``choices[0].message.parsed`` is the answer as
            ``response_format``.

        Raises:
            TypeError: An unknown keyword.
            InvalidRequestError: Bad input, before any request.
            InvalidModelOutputError: The answer does not fit the model, even after a repair.
            APIConnectionError, APIStatusError, ResponseError: As the async client.
        """
        if options and not options.keys() <= PARSE_OPTIONS:
            raise unexpected_keyword("parse", options, PARSE_KEYWORDS)
        return self._client._run(
            self._client._async.chat.completions.parse(
                messages=messages,
                response_format=response_format,
                model=model,
                provider=provider,
                media=media,
                **options,
            )
        )


class Chat:
    """``client.chat``."""

    def __init__(self, client: "Client") -> None:
        self.completions = Completions(client)


class Images:
    """``client.images``."""

    def __init__(self, client: "Client") -> None:
        self._client = client

    def generate(
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
        """Generate an image; the arguments are those of the async client's ``generate``.

        Raises:
            TypeError: An unknown keyword (the message names the nearest valid one).
            InvalidRequestError: Bad arguments, before any request.
            APIConnectionError, APIStatusError, ResponseError: As for chat.
        """
        if unexpected:
            raise unexpected_keyword("generate", unexpected, keywords_of(Images.generate))
        return self._client._run(
            self._client._async.images.generate(
                prompt=prompt,
                model=model,
                size=size,
                n=n,
                response_format=response_format,
                seed=seed,
                nologo=nologo,
                wm=wm,
                quality=quality,
                style=style,
                user=user,
            )
        )

    def download(
        self, url: str, *, public_only: bool = False, time_limit: float | None = None
    ) -> bytes:
        """Download an image by URL; the arguments are those of the async ``download``."""
        return self._client._run(
            self._client._async.images.download(url, public_only=public_only, time_limit=time_limit)
        )


class Speech:
    """``client.audio.speech``."""

    def __init__(self, client: "Client") -> None:
        self._client = client

    def create(
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
        """Speak a text; the arguments are those of the async client's ``create``.

        Raises:
            TypeError: An unknown keyword (the message names the nearest valid one).
            InvalidRequestError: Empty text, unknown voice, model or format.
            APIConnectionError, APIStatusError, ResponseError: As for chat.
        """
        if unexpected:
            raise unexpected_keyword("create", unexpected, keywords_of(Speech.create))
        return self._client._run(
            self._client._async.audio.speech.create(
                input=input,
                voice=voice,
                model=model,
                response_format=response_format,
                speed=speed,
                instructions=instructions,
            )
        )


class Audio:
    """``client.audio``."""

    def __init__(self, client: "Client") -> None:
        self.speech = Speech(client)


class Models:
    """``client.models``."""

    def __init__(self, client: "Client") -> None:
        self._client = client

    def list(self) -> ModelList:
        """List the chat model ids."""
        return self._client._run(self._client._async.models.list())

    def retrieve(self, model: str) -> Model:
        """Describe one chat model by its id; as the async client's ``retrieve``."""
        return self._client._run(self._client._async.models.retrieve(model))
