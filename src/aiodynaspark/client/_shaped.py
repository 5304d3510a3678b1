"""Chat requests with tools, a JSON schema, stop, max_tokens or usage chunks.

The plain request never comes here: it costs nothing extra. The engine
(:mod:`aiodynaspark._structured`) owns the contract with the model; this module gives it a way to
ask the providers (with the same fallback as a plain request) and turns its answers into
OpenAI-shaped completions and chunks.
"""

import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._errors import DynasparkError
from .._structured import (
    AnswerPlan,
    StreamEnd,
    ToolCall,
    build_conversation,
    complete_shaped,
    estimate_prompt_tokens,
    estimate_tokens,
    stream_shaped,
)
from ..providers import BaseProvider, ChatResult, PreparedChat
from ._models import ChatCompletion, ChatCompletionChunk, new_completion_id
from ._routing import ProviderChoice, combined_error, is_fallback_error

if TYPE_CHECKING:
    from ._chat import AsyncCompletions

__all__ = ["ShapedRequest", "estimated_usage"]

_log = logging.getLogger(__name__)

Prepared = list[tuple[type[BaseProvider[Any]], PreparedChat]]


def estimated_usage(messages: object, answer: str) -> dict[str, int]:
    """Usage by the client's estimate, for answers the service gave no counts for."""
    prompt = estimate_prompt_tokens(messages)
    completion = estimate_tokens(answer)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _tool_calls(calls: list[ToolCall]) -> list[dict[str, Any]]:
    return [
        {
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": call.arguments},
        }
        for call in calls
    ]


@dataclass(slots=True)
class ShapedRequest:
    """One chat request with a plan, checked, ready to send (its first round prepared).

    Attributes:
        completions: The resource that prepares and sends (its providers and fallback).
        plan: What the caller asked of the answer.
        model: The model as the caller named it.
        media: Images as the caller gave them.
        provider: The provider choice.
        stream: Whether the caller asked for a stream.
        options: The provider options left after the plan took its fields.
        conversation: The messages sent: instructions first, tool history as text.
        first: The first round, prepared (so bad input fails before any request).
    """

    completions: "AsyncCompletions"
    plan: AnswerPlan
    model: str | None
    media: object
    provider: ProviderChoice
    stream: bool
    options: dict[str, Any]
    conversation: list[dict[str, Any]]
    first: Prepared
    answered_by: str = ""

    @classmethod
    def build(
        cls,
        completions: "AsyncCompletions",
        plan: AnswerPlan,
        *,
        model: str | None,
        messages: object,
        media: object,
        provider: ProviderChoice,
        stream: bool,
        options: dict[str, Any],
    ) -> "ShapedRequest":
        """Check the request and prepare its first round; nothing is sent.

        Raises:
            InvalidRequestError: Bad input.
        """
        conversation = build_conversation(plan, messages)
        request = cls(completions, plan, model, media, provider, stream, options, conversation, [])
        request.first = request._prepare(conversation)
        return request

    def _prepare(self, conversation: list[dict[str, Any]]) -> Prepared:
        if conversation is self.conversation and self.first:
            return self.first
        return self.completions._prepare(
            self.model,
            conversation,
            self.media,
            self.provider,
            self.stream,
            dict(self.options),
            json_mode=self.plan.contract is not None,
        )

    async def _ask(self, conversation: list[dict[str, Any]]) -> ChatResult:
        result, self.answered_by = await self.completions._complete(self._prepare(conversation))
        if result.usage is None:
            result.usage = estimated_usage(conversation, result.text)
        return result

    async def complete(self) -> ChatCompletion:
        """Send, read the answer under the plan (one repair round at most), build it.

        Raises:
            InvalidModelOutputError: The answer broke the contract twice.
            DynasparkError: As a plain request.
        """
        answer = await complete_shaped(self.plan, self.conversation, self._ask)
        message: dict[str, Any] = {"content": answer.content}
        if answer.tool_calls:
            message["tool_calls"] = _tool_calls(answer.tool_calls)
        return ChatCompletion.model_validate(
            {
                "id": new_completion_id(),
                "created": int(time.time()),
                "model": answer.model,
                "choices": [{"message": message, "finish_reason": answer.finish_reason}],
                "usage": answer.usage,
                "provider": self.answered_by,
            }
        )

    async def _pieces(self, conversation: list[dict[str, Any]]) -> AsyncGenerator[str, None]:
        """The raw pieces of one round, falling back along the providers until one starts."""
        transport = self.completions._client.transport
        prepared = self._prepare(conversation)
        attempts: list[tuple[str, DynasparkError]] = []
        for provider, chat in prepared:
            name = provider.__name__
            handed = False
            try:
                async with contextlib.aclosing(provider.stream_chat(transport, chat)) as pieces:
                    async for piece in pieces:
                        if not handed:
                            self.answered_by = name
                            handed = True
                        yield piece
            except DynasparkError as error:
                attempts.append((name, error))
                if handed or not is_fallback_error(error) or len(attempts) == len(prepared):
                    raise combined_error(attempts) from None
                _log.warning("%s failed (%s); falling back", name, type(error).__name__)
                continue
            return

    async def chunks(self) -> AsyncIterator[ChatCompletionChunk]:
        """Stream the answer as OpenAI chunks: content as it arrives, tool calls, the end.

        Raises:
            InvalidModelOutputError: The answer broke the contract and could not be repaired.
            DynasparkError: As a plain stream.
        """
        completion_id = new_completion_id()
        created = int(time.time())
        model = self.first[0][1].model
        role: str | None = "assistant"
        validate = ChatCompletionChunk.model_validate

        def chunk(delta: dict[str, Any], finish: str | None = None) -> ChatCompletionChunk:
            return validate(
                {
                    "id": completion_id,
                    "created": created,
                    "model": model,
                    "choices": [{"delta": delta, "finish_reason": finish}],
                    "provider": self.answered_by or None,
                }
            )

        events = stream_shaped(self.plan, self.conversation, self._pieces)
        async with contextlib.aclosing(events):
            async for event in events:
                if isinstance(event, str):
                    yield chunk({"role": role, "content": event})
                    role = None
                elif isinstance(event, list):
                    for index, call in enumerate(event):
                        yield chunk(
                            {
                                "role": role,
                                "tool_calls": [
                                    {
                                        "index": index,
                                        "id": call.id,
                                        "type": "function",
                                        "function": {"name": call.name, "arguments": ""},
                                    }
                                ],
                            }
                        )
                        role = None
                        arguments = {"index": index, "function": {"arguments": call.arguments}}
                        yield chunk({"tool_calls": [arguments]})
                else:
                    yield chunk({"role": role}, event.finish_reason)
                    if self.plan.include_usage:
                        yield _usage_chunk(completion_id, created, model, event)
                    return


def _usage_chunk(
    completion_id: str, created: int, model: str, end: StreamEnd
) -> ChatCompletionChunk:
    """The chunk ``stream_options.include_usage`` asks for: no choices, the usage."""
    return ChatCompletionChunk.model_validate(
        {
            "id": completion_id,
            "created": created,
            "model": model,
            "choices": [],
            "usage": end.usage,
        }
    )
