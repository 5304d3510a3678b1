"""Chat requests with tools, a JSON schema, stop, max_tokens or usage chunks.

The plain request never comes here: it costs nothing extra. The structured engine
(:mod:`aiodynaspark._structured`) owns the contract with the model; this module gives it the
chat engine's way to ask the providers (:class:`~._engine.ChatEngine`: the same provider
choice and fallback as a plain request) and turns its answers into OpenAI-shaped completions
and chunks.
"""

import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._structured import (
    AnswerPlan,
    StreamEnd,
    ToolCall,
    build_conversation,
    complete_shaped,
    stream_shaped,
)
from ..providers import ChatResult
from ._models import ChatCompletion, ChatCompletionChunk, new_completion_id
from ._routing import ProviderChoice, long_chat_of

if TYPE_CHECKING:
    from ._engine import ChatEngine
    from ._routing import Attempt

__all__ = ["ShapedRequest"]


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
        engine: The chat engine that prepares and sends (its providers and fallback).
        plan: What the caller asked of the answer.
        model: The model as the caller named it.
        media: Images as the caller gave them.
        provider: The provider choice.
        stream: Whether the caller asked for a stream.
        options: The provider options left after the plan took its fields.
        conversation: The messages sent: instructions first, tool history as text.
        first: The first round, prepared (so bad input fails before any request).
    """

    engine: "ChatEngine"
    plan: AnswerPlan
    model: str | None
    media: object
    provider: ProviderChoice
    stream: bool
    options: dict[str, Any]
    conversation: list[dict[str, Any]]
    first: "list[Attempt]"
    answered_by: str = ""

    @classmethod
    def build(
        cls,
        engine: "ChatEngine",
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
        request = cls(engine, plan, model, media, provider, stream, options, conversation, [])
        request.first = request._prepare(conversation)
        return request

    def _prepare(self, conversation: list[dict[str, Any]]) -> "list[Attempt]":
        if conversation is self.conversation and self.first:
            return self.first
        return self.engine.prepare(
            self.model,
            conversation,
            self.media,
            self.provider,
            self.stream,
            dict(self.options),
            json_mode=self.plan.contract is not None,
        )

    async def _ask(self, conversation: list[dict[str, Any]]) -> ChatResult:
        answer = await self.engine.answer(self._prepare(conversation), conversation)
        self.answered_by = answer.provider
        return answer.result

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
        long = long_chat_of(self.first)
        return ChatCompletion.model_validate(
            {
                "id": new_completion_id(),
                "created": int(time.time()),
                "model": answer.model,
                "choices": [{"message": message, "finish_reason": answer.finish_reason}],
                "usage": answer.usage,
                "provider": self.answered_by,
                "dropped_params": list(long.dropped) if long is not None else None,
            }
        )

    async def _pieces(self, conversation: list[dict[str, Any]]) -> AsyncGenerator[str, None]:
        """The pieces of one round, from the first provider whose answer starts."""
        opened = await self.engine.open_stream(self._prepare(conversation))
        self.answered_by = opened.provider
        pieces = opened.pieces()
        async with contextlib.aclosing(pieces):
            async for piece in pieces:
                yield piece

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
