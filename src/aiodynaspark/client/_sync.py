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
from typing import Any, Literal, Self, TypeVar, overload

from .._errors import InvalidRequestError
from .._limits import Limits
from .._sync import ensure_no_running_loop
from .._types import MediaList, Messages
from ._async import AsyncClient, AsyncStream
from ._models import ChatCompletion, ChatCompletionChunk, ImagesResponse, ModelList, SpeechResponse
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
                raise InvalidRequestError("This Client is closed; create a new one.")
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
        model: str | None = ...,
        stream: Literal[False] = ...,
        provider: ProviderChoice = ...,
        media: MediaList | None = ...,
        **options: Any,
    ) -> ChatCompletion: ...

    @overload
    def create(
        self,
        *,
        messages: Messages,
        model: str | None = ...,
        stream: Literal[True],
        provider: ProviderChoice = ...,
        media: MediaList | None = ...,
        **options: Any,
    ) -> Stream: ...

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
        """Create a chat completion; the arguments are those of the async client's ``create``."""
        result = self._client._run(
            self._client._async.chat.completions._create(
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
        assert isinstance(result, ChatCompletion)
        return result


class Chat:
    """``client.chat``."""

    def __init__(self, client: "Client") -> None:
        self.completions = Completions(client)


class Images:
    """``client.images``."""

    def __init__(self, client: "Client") -> None:
        self._client = client

    def generate(self, *, prompt: str, **options: Any) -> ImagesResponse:
        """Generate an image; the arguments are those of the async client's ``generate``."""
        return self._client._run(self._client._async.images.generate(prompt=prompt, **options))


class Speech:
    """``client.audio.speech``."""

    def __init__(self, client: "Client") -> None:
        self._client = client

    def create(self, *, input: str, **options: Any) -> SpeechResponse:
        """Speak a text; the arguments are those of the async client's ``create``."""
        return self._client._run(self._client._async.audio.speech.create(input=input, **options))


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
        self._runner = _LoopThread()
        self.settings = self._async.settings
        self.chat = Chat(self)
        self.images = Images(self)
        self.audio = Audio(self)
        self.models = Models(self)

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._runner.run(coroutine)

    def close(self) -> None:
        """Close the connection pool and stop the client's thread."""
        if not self._runner.loop.is_closed():
            self._runner.run(self._async.close(), closing=True)
            self._runner.stop()

    def __enter__(self) -> Self:
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
