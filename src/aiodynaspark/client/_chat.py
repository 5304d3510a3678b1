"""``client.chat.completions``: a thin resource that checks its arguments for the engine."""

from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal, Self, Unpack, overload

from .._chat_options import CLIENT_KEYWORDS
from .._errors import InvalidRequestError
from .._keywords import unexpected_keyword
from .._types import (
    ChatTool,
    JSONSchemaFormat,
    MediaList,
    Messages,
    ResponseFormat,
    StreamOptions,
    ToolChoice,
)
from ._engine import ChatEngine
from ._models import ChatCompletion, ChatCompletionChunk
from ._parsed import (
    PARSE_OPTIONS,
    ModelT,
    ParsedChatCompletion,
    ParseOptions,
    json_schema_format,
    parsed_completion,
)
from ._routing import Attempt, ProviderChoice, Truncation, long_chat_of

__all__ = ["CREATE_KEYWORDS", "AsyncChat", "AsyncCompletions", "AsyncStream"]

CREATE_KEYWORDS = frozenset({"messages", "model", "stream", "provider", "media"}) | CLIENT_KEYWORDS
"""Every keyword of ``chat.completions.create``, for naming the nearest to a typo."""

PARSE_KEYWORDS = (
    frozenset({"messages", "model", "response_format", "provider", "media"}) | PARSE_OPTIONS
)
"""Every keyword of ``chat.completions.parse``."""


class AsyncStream:
    """The chunks of a streamed completion; iterate with ``async for``, close when done early."""

    def __init__(
        self, chunks: AsyncIterator[ChatCompletionChunk], attempts: Sequence[Attempt] = ()
    ) -> None:
        self._chunks = chunks
        self._attempts = attempts

    @property
    def whole(self) -> bool:
        """Whether the answer arrives in one piece: the conversation was too long for the
        REST API's URL and went by the web form, which does not stream (known before the
        first chunk, unless the host refused the URL: then once the first chunk came)."""
        return long_chat_of(self._attempts) is not None

    @property
    def dropped_params(self) -> tuple[str, ...]:
        """The options left out for that reason (``("temperature",)``); empty when none."""
        long = long_chat_of(self._attempts)
        return long.dropped if long is not None else ()

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
    """``client.chat.completions``: checks each call's arguments and hands it to the engine."""

    def __init__(self, engine: ChatEngine) -> None:
        self._engine = engine

    @overload
    async def create(
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
    async def create(
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
    ) -> AsyncStream: ...

    @overload
    async def create(
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
    ) -> ChatCompletion | AsyncStream: ...

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
            provider: Not OpenAI: ``"auto"`` (the client's choice, by default),
                ``Dynaspark``, ``DynasparkAPI``, or a list of them to fall back along in
                order on connection, timeout, 5xx and rate-limit errors.
            media: Not OpenAI: images as the providers take them, besides ``image_url``
                parts.
            temperature: Sampling temperature, 0 to 3 (REST API).
            top_p: Nucleus sampling, 0 to 1 (REST API).
            presence_penalty: -2 to 2 (REST API).
            frequency_penalty: -2 to 2 (REST API).
            seed: For reproducible answers (REST API).
            system: Not OpenAI: the system prompt (REST API); without it, system messages
                are used.
            private: Not OpenAI: keep the generation private (REST API).
            referrer: Not OpenAI: referrer information (REST API).
            response_format: ``{"type": "json_object"}`` asks for a JSON answer (REST API);
                ``{"type": "json_schema", "json_schema": {"name": ..., "schema": {...}}}``
                for the object the schema describes (emulated: docs/tools.md).
            n: Only 1: the service gives one answer; another value raises
                :class:`InvalidRequestError` before any request.
            tools: Function tools the model may call (emulated by instruction: the answer's
                ``message.tool_calls`` are checked against each tool's schema, repaired
                once, else :class:`InvalidModelOutputError`).
            tool_choice: ``"auto"`` (default with tools), ``"none"`` (no tools sent),
                ``"required"``, or ``{"type": "function", "function": {"name": ...}}``.
            parallel_tool_calls: Whether one answer may call several tools (default true).
            stop: Up to 4 sequences; the answer ends just before the first one.
            truncation: Not OpenAI: ``"auto"`` drops the oldest turns of a conversation too
                long for the REST API's URL until it fits (never a system message nor the
                last user message), so it still streams and keeps its options;
                ``"disabled"`` (the default) sends it whole by the web form instead.
            max_tokens: The answer is cut at this many tokens by the client's estimate,
                with ``finish_reason="length"``.
            max_completion_tokens: As ``max_tokens``; the smaller wins.
            stream_options: ``{"include_usage": True}`` ends a stream with a usage chunk.
            user: Accepted and ignored, as is ``store``: SDKs send them by default and the
                service has no counterpart.
            logprobs: Only ``False`` (accepted and ignored): the service gives no token log
                probabilities, so ``True`` raises :class:`InvalidRequestError` before any
                request, as the gateway answers 400.
            store: Accepted and ignored.

        Returns:
            A :class:`ChatCompletion`, or with ``stream=True`` an :class:`AsyncStream`.

        Raises:
            TypeError: An unknown keyword (the message names the nearest valid one).
            InvalidRequestError: Bad input, before any request; also a value the service
                cannot honour (``n=2``, ``logprobs=True``), naming the field and why.
            InvalidModelOutputError: Tool calls or a schema answer still broken after one
                repair round.
            APIConnectionError, APIStatusError, ResponseError: The last attempt's failure;
                with several providers its message names every attempt.
        """
        if options and not options.keys() <= CLIENT_KEYWORDS:
            raise unexpected_keyword("create", options, CREATE_KEYWORDS)
        if not isinstance(stream, bool):
            raise InvalidRequestError(f"stream must be True or False, got {stream!r}.")
        if stream:
            return AsyncStream(*self._engine.stream(model, messages, media, provider, options))
        return await self._engine.complete(model, messages, media, provider, options)

    async def parse(
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

        The model's JSON schema goes to the service as a ``json_schema`` response format
        (emulated: docs/tools.md); the answer is checked against it, repaired once when
        broken, then validated by the model itself.

        Args:
            messages: The conversation, as for :meth:`create`.
            response_format: The pydantic model class the answer must fit.
            model: A model id or alias.
            provider: As for :meth:`create`.
            media: As for :meth:`create`.
            **options: The other options of :meth:`create` (not ``stream``).

        Returns:
            The completion; ``choices[0].message.parsed`` is the answer as
            ``response_format`` (``None`` when the answer is tool calls).

        Raises:
            TypeError: An unknown keyword.
            InvalidRequestError: Bad input, before any request.
            InvalidModelOutputError: The answer does not fit the model, even after a repair.
            APIConnectionError, APIStatusError, ResponseError: As :meth:`create`.

        Example:
            >>> class Person(BaseModel):
            ...     name: str
            >>> done = await client.chat.completions.parse(
            ...     messages=[{"role": "user", "content": "Who wrote Emma?"}],
            ...     response_format=Person,
            ... )  # doctest: +SKIP
            >>> done.choices[0].message.parsed.name  # doctest: +SKIP
            'Jane Austen'
        """
        if options and not options.keys() <= PARSE_OPTIONS:
            raise unexpected_keyword("parse", options, PARSE_KEYWORDS)
        schema_format = json_schema_format(response_format)
        completion = await self.create(
            messages=messages,
            model=model,
            provider=provider,
            media=media,
            response_format=schema_format,
            **options,
        )
        return parsed_completion(completion, response_format)


class AsyncChat:
    """``client.chat``."""

    def __init__(self, engine: ChatEngine) -> None:
        self.completions = AsyncCompletions(engine)
