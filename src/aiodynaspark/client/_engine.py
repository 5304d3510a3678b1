"""The client's chat engine: provider choice, the one fallback loop, and building answers.

Every chat call of the client is handed here as one request, as openai-python's resources
hand theirs to ``_post``: ``chat.completions.create`` and ``parse`` check their arguments,
then call :meth:`ChatEngine.complete` or :meth:`ChatEngine.stream`. The engine decides who
serves the request (:mod:`._routing`), prepares it for each candidate before anything is
sent, walks the candidates in :meth:`ChatEngine._fall_back` (the only fallback loop), and
builds the OpenAI-shaped completion or chunks. A request with tools, a schema, stop
sequences, a token limit or usage chunks goes through the same loop by
:class:`~._shaped.ShapedRequest`, which runs the :mod:`aiodynaspark._structured` engine.
"""

import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .._chat_options import CLIENT_REFUSED, IGNORED_OPTIONS
from .._errors import DynasparkError, InvalidRequestError
from .._structured import AnswerPlan, estimated_usage, has_tool_history, read_plan
from .._wire._http import Transport
from ..providers import BaseProvider, ChatResult, Dynaspark, DynasparkAPI, PreparedChat, RestChat
from ._models import (
    ChatCompletion,
    ChatCompletionChunk,
    new_completion_id,
    plain_chunk,
    plain_completion,
)
from ._routing import (
    Attempt,
    ProviderChoice,
    check_truncation,
    choose_providers,
    combined_error,
    fit_url_budget,
    is_fallback_error,
    long_chat_of,
    route_after_url_refusal,
)
from ._shaped import ShapedRequest

__all__ = ["Answer", "Attempt", "ChatEngine", "OpenedStream"]

_log = logging.getLogger(__name__)

_JSON_MODE = frozenset({"json"})

T = TypeVar("T")


@dataclass(slots=True)
class Answer:
    """A whole answer, its usage filled in, and the provider that gave it."""

    result: ChatResult
    provider: str


@dataclass(slots=True)
class OpenedStream:
    """A stream whose first piece has arrived: past this point there is no fallback.

    Attributes:
        first: The first piece, or ``None`` when the answer was empty.
        rest: The pieces after it; :meth:`pieces` closes it.
        provider: The provider that answered.
        model: The model the request was prepared for.
    """

    first: str | None
    rest: AsyncGenerator[str, None]
    provider: str
    model: str

    async def pieces(self) -> AsyncGenerator[str, None]:
        """Every piece, the first included; the stream is closed however this ends."""
        async with contextlib.aclosing(self.rest) as rest:
            if self.first is None:
                return
            yield self.first
            async for piece in rest:
                yield piece


async def _first_piece(pieces: AsyncGenerator[str, None]) -> str | None:
    """Pull the first piece of a stream just opened; on any failure close it, then raise.

    Closing here, not in the garbage collector, is what releases the upstream connection of
    a stream that failed before it started.
    """
    try:
        return await anext(pieces)
    except StopAsyncIteration:
        await pieces.aclose()
        return None
    except BaseException:
        await pieces.aclose()
        raise


class ChatEngine:
    """Owns a client's chat requests: who serves them, falling back, building answers.

    Args:
        transport: The client's transport (its pool, retries and settings).
        provider: The client's default provider choice.
    """

    def __init__(self, transport: Transport, provider: ProviderChoice) -> None:
        self._transport = transport
        self.provider = provider

    def prepare(
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
        """Choose the providers and prepare the request for each; nothing is sent.

        Args:
            options: The caller's options (a copy the engine may change).
            json_mode: Ask the REST API for JSON (a tool or schema answer is one object).

        Raises:
            InvalidRequestError: Bad input, for any of the candidates.
        """
        choice = provider if provider is not None else self.provider
        truncation = check_truncation(options.pop("truncation", None)) if options else None
        sampling = _sampling_options(options) if options else options
        chosen = choose_providers(
            choice, options=sampling, stream=stream, messages=messages, media=media
        )
        if len(chosen) == 1 and chosen[0] is Dynaspark:
            # The commonest request: the web form takes any length, there is nothing to fit.
            return [(Dynaspark, Dynaspark.prepare_chat(model, messages, media, sampling))]
        # JSON mode where the endpoint has it (the REST API); the web form has none, the
        # instructions suffice there. Set by the client itself, it is never a reason to refuse.
        implied = _JSON_MODE if json_mode and "json" not in sampling else frozenset()
        rest_options = {**sampling, "stream": stream, **dict.fromkeys(implied, True)}

        def prepare_rest(conversation: object) -> RestChat:
            chat = DynasparkAPI.prepare_chat(model, conversation, media, rest_options)
            chat.implied = implied
            return chat

        prepared: list[Attempt] = []
        for candidate in chosen:
            if candidate is DynasparkAPI:
                chat: PreparedChat = prepare_rest(messages)
            else:
                chosen_options = sampling if candidate is Dynaspark else rest_options
                chat = candidate.prepare_chat(model, messages, media, chosen_options)
            prepared.append((candidate, chat))
        return fit_url_budget(
            prepared,
            self._transport,
            messages=messages,
            truncation=truncation,
            prepare_rest=prepare_rest,
        )

    def _shaped(
        self,
        model: str | None,
        messages: object,
        media: object,
        provider: ProviderChoice,
        stream: bool,
        options: dict[str, Any],
    ) -> ShapedRequest | None:
        """The request as a shaped one when the plan or the history needs it, else ``None``.

        Asked only when there are options or tool history: the plain request, the commonest,
        skips even the call.
        """
        plan = read_plan(options, stream=stream) if options else None
        if plan is None and not has_tool_history(messages):
            return None
        return ShapedRequest.build(
            self,
            plan or AnswerPlan(),
            model=model,
            messages=messages,
            media=media,
            provider=provider,
            stream=stream,
            options=options,
        )

    async def complete(
        self,
        model: str | None,
        messages: object,
        media: object,
        provider: ProviderChoice,
        options: dict[str, Any],
    ) -> ChatCompletion:
        """Send a chat request and build its whole completion.

        Raises:
            InvalidRequestError: Bad input, before any request.
            InvalidModelOutputError: A shaped answer still broken after one repair round.
            DynasparkError: The last attempt's failure, naming every attempt.
        """
        if options or has_tool_history(messages):
            shaped = self._shaped(model, messages, media, provider, False, options)
            if shaped is not None:
                return await shaped.complete()
        prepared = self.prepare(model, messages, media, provider, False, options)
        answer = await self.answer(prepared, messages)
        result, usage = answer.result, answer.result.usage
        assert usage is not None  # answer() fills it in
        long = long_chat_of(prepared)
        dropped = None if long is None else list(long.dropped)
        # Positional: a call with keywords costs a third more, on every answer.
        return plain_completion(result.model, result.text, usage, answer.provider, dropped)

    def stream(
        self,
        model: str | None,
        messages: object,
        media: object,
        provider: ProviderChoice,
        options: dict[str, Any],
    ) -> tuple[AsyncIterator[ChatCompletionChunk], list[Attempt]]:
        """Check a chat request now; stream its chunks when iterated.

        Returns:
            The chunks, and the attempts as routed (whether the answer comes whole is read
            from them: :func:`~._routing.long_chat_of`).

        Raises:
            InvalidRequestError: Bad input (here, before any request).
        """
        if options or has_tool_history(messages):
            shaped = self._shaped(model, messages, media, provider, True, options)
            if shaped is not None:
                return shaped.chunks(), shaped.first
        prepared = self.prepare(model, messages, media, provider, True, options)
        return self._chunks(prepared), prepared

    async def answer(self, prepared: list[Attempt], conversation: object) -> Answer:
        """The whole answer from the first provider that gives one, its usage filled in.

        Usage the service did not report is estimated here, for every whole answer.
        """
        if len(prepared) == 1:
            # Nothing to fall back to: the one attempt's error is the call's, as the loop
            # would raise it, without the loop's frame on the commonest path.
            provider, chat = prepared[0]
            try:
                result, name = await provider.complete(self._transport, chat), provider.__name__
            except DynasparkError as error:
                if not route_after_url_refusal(prepared, 0, error, self._transport):
                    raise
                result, name = await self._fall_back(prepared[1:], self._complete_one)
        else:
            result, name = await self._fall_back(prepared, self._complete_one)
        if result.usage is None:
            result.usage = estimated_usage(conversation, result.text)
        return Answer(result, name)

    def _complete_one(
        self, provider: type[BaseProvider[Any]], chat: PreparedChat
    ) -> Awaitable[ChatResult]:
        # A method, not a lambda in answer(): a closure there would make its transport a
        # cell, built on every answer, the commonest included, and kept while it waits.
        return provider.complete(self._transport, chat)

    async def open_stream(self, prepared: list[Attempt]) -> OpenedStream:
        """Open a stream on the first provider whose answer starts (its first piece in)."""
        transport = self._transport

        async def open_one(provider: type[BaseProvider[Any]], chat: PreparedChat) -> OpenedStream:
            pieces = provider.stream_chat(transport, chat)
            return OpenedStream(await _first_piece(pieces), pieces, provider.__name__, chat.model)

        opened, _ = await self._fall_back(prepared, open_one)
        return opened

    async def _fall_back(
        self,
        prepared: list[Attempt],
        send: Callable[[type[BaseProvider[Any]], PreparedChat], Awaitable[T]],
    ) -> tuple[T, str]:
        """Try ``send`` on each prepared request in order until one succeeds.

        The next provider is tried on a connection, timeout, 5xx or rate-limit error; any
        other error, or the last provider's, ends the call with an error naming every
        attempt. A REST API URL the host refused as too long (414) puts the web form next
        (:func:`~._routing.route_after_url_refusal`).
        """
        attempts: list[tuple[str, DynasparkError]] = []
        for index, (provider, chat) in enumerate(prepared):
            try:
                return await send(provider, chat), provider.__name__
            except DynasparkError as error:
                if route_after_url_refusal(prepared, index, error, self._transport):
                    continue  # the web form, put next, is tried now
                attempts.append((provider.__name__, error))
                if not is_fallback_error(error) or len(attempts) == len(prepared):
                    raise combined_error(attempts) from None
                _log.warning(
                    "%s failed (%s); falling back", provider.__name__, type(error).__name__
                )
        raise AssertionError("unreachable: prepared is never empty")

    async def _chunks(self, prepared: list[Attempt]) -> AsyncIterator[ChatCompletionChunk]:
        completion_id = new_completion_id()
        created = int(time.time())
        opened = await self.open_stream(prepared)
        name, model = opened.provider, opened.model
        # The first piece and the rest read here, not through opened.pieces(): one async
        # generator less for every piece to pass through.
        async with contextlib.aclosing(opened.rest) as rest:
            if opened.first is not None:
                yield plain_chunk(completion_id, created, model, name, "assistant", opened.first)
                async for piece in rest:
                    yield plain_chunk(completion_id, created, model, name, None, piece)
        yield plain_chunk(completion_id, created, model, name, None, None)


def _sampling_options(options: dict[str, Any]) -> dict[str, Any]:
    """Turn OpenAI request fields into provider options; ``options`` is the caller's copy.

    Raises:
        InvalidRequestError: A ``response_format``, or a value of a field the service cannot
            honour (``n=2``, ``logprobs=True``: see ``CLIENT_REFUSED``).
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
    for option in CLIENT_REFUSED:
        value = options.pop(option.name, None)
        if option.refuses(value):
            raise InvalidRequestError(option.refusal(value))
    for name in IGNORED_OPTIONS & options.keys():
        _log.debug("ignoring %s: the service has no such parameter", name)
        del options[name]
    return {k: v for k, v in options.items() if v is not None}
