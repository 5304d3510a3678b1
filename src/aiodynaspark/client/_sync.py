"""``Client``: the synchronous face of :class:`AsyncClient`, not a second implementation.

The client runs an :class:`AsyncClient` on a private event loop in a daemon thread and hands
it each call, so it works from plain code and from a thread while another loop runs
elsewhere, and keeps one connection pool for its whole life.
"""

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Iterator
from types import TracebackType
from typing import Any, Literal, Never, Self, TypeVar, Unpack, overload

from .._chat_options import CLIENT_KEYWORDS
from .._errors import InvalidRequestError
from .._event_loops import ensure_no_running_loop
from .._http import CLIENT_CLOSED
from .._keywords import keywords_of, unexpected_keyword
from .._limits import Limits
from .._types import (
    ChatTool,
    JSONSchemaFormat,
    MediaList,
    Messages,
    ResponseFormat,
    StreamOptions,
    ToolChoice,
)
from ._async import AsyncClient, AsyncStream
from ._chat import CREATE_KEYWORDS, PARSE_KEYWORDS
from ._lifecycle import ClientState, enter_once
from ._models import ChatCompletion, ChatCompletionChunk, ImagesResponse, ModelList, SpeechResponse
from ._parsed import PARSE_OPTIONS, ModelT, ParsedChatCompletion, ParseOptions
from ._routing import ProviderChoice

__all__ = ["Client", "Stream"]

T = TypeVar("T")


class _LoopThread:
    """An event loop running in its own daemon thread, fed coroutines from other threads."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="aiodynaspark-client", daemon=True
        )
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], *, closing: bool = False) -> T:
        try:
            if self.loop.is_closed():
                raise InvalidRequestError(CLIENT_CLOSED)
            if not closing:  # closing is brief and must work anywhere, even inside a loop
                ensure_no_running_loop("Client", "AsyncClient")
        except InvalidRequestError:
            coroutine.close()
            raise
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


class Stream:
    """The chunks of a streamed completion, iterated synchronously."""

    def __init__(self, stream: AsyncStream, runner: _LoopThread) -> None:
        self._stream = stream
        self._runner = runner

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


class Client:
    """The synchronous OpenAI-style client; same arguments and surface as :class:`AsyncClient`.

    Use it as a context manager, or call :meth:`close`, to release its pool and thread.

    Raises:
        InvalidRequestError: A malformed setting; or a call made from inside a running event
            loop in the same thread (use :class:`AsyncClient` there).

    Example:
        >>> with Client() as client:
        ...     done = client.chat.completions.create(
        ...         messages=[{"role": "user", "content": "Hi"}]
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
        connection_limit: int | None = None,
        max_retry_wait: float | None = None,
        trust_env: bool = True,
        backoff_base: float | None = None,
        limits: Limits | None = None,
        **unexpected: Any,
    ) -> None:
        if "session" in unexpected:
            raise InvalidRequestError(
                "Client cannot use a session= from your code: it runs its own event loop. "
                "Use AsyncClient(session=...) instead."
            )
        if unexpected:
            raise InvalidRequestError(f"Client does not take {', '.join(sorted(unexpected))}.")
        self._async = AsyncClient(
            base_url,
            api_key,
            timeout,
            max_retries,
            proxy,
            provider=provider,
            connection_limit=connection_limit,
            max_retry_wait=max_retry_wait,
            trust_env=trust_env,
            backoff_base=backoff_base,
            limits=limits,
        )
        self._state = ClientState.UNOPENED
        self._runner = _LoopThread()
        self.settings = self._async.settings
        self.chat = Chat(self)
        self.images = Images(self)
        self.audio = Audio(self)
        self.models = Models(self)

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._runner.run(coroutine)

    @property
    def is_closed(self) -> bool:
        """Whether the client has been closed; a closed client sends nothing more."""
        return self._state is ClientState.CLOSED

    def close(self) -> None:
        """Close the connection pool and stop the client's thread.

        Every later request is refused with :class:`InvalidRequestError`; closing twice is
        harmless.
        """
        self._state = ClientState.CLOSED
        if not self._runner.loop.is_closed():
            self._runner.run(self._async.close(), closing=True)
            self._runner.stop()

    def __enter__(self) -> Self:
        """Open the client for a ``with`` block, which closes it at the end.

        Raises:
            InvalidRequestError: The client is already inside a ``with`` block, or has been
                closed: one client, one block; build another client instead.
        """
        enter_once(self, self._state)
        self._state = ClientState.OPENED
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # A forgotten close() must not leave a thread spinning; the pool goes with the loop.
        runner = getattr(self, "_runner", None)
        if runner is not None and not runner.loop.is_closed():
            with contextlib.suppress(RuntimeError):
                runner.loop.call_soon_threadsafe(runner.loop.stop)
