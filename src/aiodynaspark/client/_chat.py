"""``client.chat.completions``: checking a chat request, choosing providers, falling back."""

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Literal, Self, TypeAlias, Unpack, overload

from .._chat_options import CLIENT_KEYWORDS, IGNORED_OPTIONS
from .._errors import DynasparkError, InvalidRequestError
from .._keywords import unexpected_keyword
from .._structured import AnswerPlan, has_tool_history, read_plan
from .._types import (
    ChatTool,
    JSONSchemaFormat,
    MediaList,
    Messages,
    ResponseFormat,
    StreamOptions,
    ToolChoice,
)
from ..providers import BaseProvider, ChatResult, Dynaspark, PreparedChat
from ._models import (
    ChatCompletion,
    ChatCompletionChunk,
    ChoiceDelta,
    ChunkChoice,
    new_completion_id,
)
from ._parsed import (
    PARSE_OPTIONS,
    ModelT,
    ParsedChatCompletion,
    ParseOptions,
    json_schema_format,
    parsed_completion,
)
from ._routing import ProviderChoice, choose_providers, combined_error, is_fallback_error
from ._shaped import ShapedRequest, estimated_usage

if TYPE_CHECKING:
    from ._async import AsyncClient

__all__ = ["CREATE_KEYWORDS", "AsyncChat", "AsyncCompletions", "AsyncStream"]

_log = logging.getLogger(__name__)

# A provider and the request it prepared: only that provider can send it.
Attempt: TypeAlias = tuple[type[BaseProvider[Any]], PreparedChat]

CREATE_KEYWORDS = frozenset({"messages", "model", "stream", "provider", "media"}) | CLIENT_KEYWORDS
"""Every keyword of ``chat.completions.create``, for naming the nearest to a typo."""

PARSE_KEYWORDS = (
    frozenset({"messages", "model", "response_format", "provider", "media"}) | PARSE_OPTIONS
)
"""Every keyword of ``chat.completions.parse``."""


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
        *,
        json_mode: bool = False,
    ) -> list[Attempt]:
        choice = provider if provider is not None else self._client.provider
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
            if json_mode and candidate is not Dynaspark:
                # A tool or schema answer is one JSON object: JSON mode where the endpoint
                # has it (the REST API); the web form has none, the instructions suffice.
                request_options = {**request_options, "json": True}
            prepared.append(
                (candidate, candidate.prepare_chat(model, messages, media, request_options))
            )
        return prepared

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
            n: Only 1: the service gives one answer.
            tools: Function tools the model may call (emulated by instruction: the answer's
                ``message.tool_calls`` are checked against each tool's schema, repaired
                once, else :class:`InvalidModelOutputError`).
            tool_choice: ``"auto"`` (default with tools), ``"none"`` (no tools sent),
                ``"required"``, or ``{"type": "function", "function": {"name": ...}}``.
            parallel_tool_calls: Whether one answer may call several tools (default true).
            stop: Up to 4 sequences; the answer ends just before the first one.
            max_tokens: The answer is cut at this many tokens by the client's estimate,
                with ``finish_reason="length"``.
            max_completion_tokens: As ``max_tokens``; the smaller wins.
            stream_options: ``{"include_usage": True}`` ends a stream with a usage chunk.
            user: Accepted and ignored, as are ``logprobs`` and ``store``: SDKs send them by
                default and the service has no counterpart.
            logprobs: Accepted and ignored.
            store: Accepted and ignored.

        Returns:
            A :class:`ChatCompletion`, or with ``stream=True`` an :class:`AsyncStream`.

        Raises:
            TypeError: An unknown keyword (the message names the nearest valid one).
            InvalidRequestError: Bad input, before any request.
            InvalidModelOutputError: Tool calls or a schema answer still broken after one
                repair round.
            APIConnectionError, APIStatusError, ResponseError: The last attempt's failure;
                with several providers its message names every attempt.
        """
        if options and not options.keys() <= CLIENT_KEYWORDS:
            raise unexpected_keyword("create", options, CREATE_KEYWORDS)
        if not isinstance(stream, bool):
            raise InvalidRequestError(f"stream must be True or False, got {stream!r}.")
        plan = read_plan(options, stream=stream) if options else None
        if plan is not None or has_tool_history(messages):
            shaped = ShapedRequest.build(
                self,
                plan or AnswerPlan(),
                model=model,
                messages=messages,
                media=media,
                provider=provider,
                stream=stream,
                options=options,
            )
            return AsyncStream(shaped.chunks()) if stream else await shaped.complete()
        prepared = self._prepare(model, messages, media, provider, stream, options)
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
                "usage": result.usage or estimated_usage(messages, result.text),
                "provider": answered_by,
            }
        )

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

    async def _complete(self, prepared: list[Attempt]) -> tuple[ChatResult, str]:
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

    async def _stream(self, prepared: list[Attempt]) -> AsyncIterator[ChatCompletionChunk]:
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
    for name in IGNORED_OPTIONS & options.keys():
        _log.debug("ignoring %s: the service has no such parameter", name)
        del options[name]
    return {k: v for k, v in options.items() if v is not None}


def _has_image_part(messages: object) -> bool:
    # A tuple rather than a union in isinstance, and an exact type test: this runs on every
    # request, and the two cut its cost from about 1.1 us to 0.2 us.
    if not isinstance(messages, (list, tuple)):
        return False
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if type(content) is list and any(
            isinstance(part, dict) and part.get("type") == "image_url" for part in content
        ):
            return True
    return False


class AsyncChat:
    """``client.chat``."""

    def __init__(self, client: "AsyncClient") -> None:
        self.completions = AsyncCompletions(client)
