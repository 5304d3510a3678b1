"""Run one shaped chat: instructions in, the answer read, one repair round, stop and length.

The caller gives a way to ask the service (whole, or as a stream of pieces); this module
owns the rest, so the client and the gateway share one behaviour.
"""

import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .._config import MAX_ANSWER_CHARS
from .._errors import InvalidModelOutputError
from ..providers import ChatResult
from ._answer import AnswerRejected, ModelAnswer, ToolCall, read_answer
from ._history import has_tool_history, render_history
from ._incremental import AnswerStream
from ._instructions import render_instructions, render_repair
from ._plan import AnswerPlan
from ._stop import StopFilter
from ._tokens import TokenBudget, estimate_prompt_tokens, estimate_tokens, usage_counts

__all__ = [
    "AskStream",
    "AskWhole",
    "ShapedAnswer",
    "StreamEnd",
    "build_conversation",
    "complete_shaped",
    "stream_shaped",
]

_log = logging.getLogger(__name__)

Conversation = list[dict[str, Any]]
AskWhole = Callable[[Conversation], Awaitable[ChatResult]]
"""Send a conversation and return the whole answer (usage filled in)."""
AskStream = Callable[[Conversation], AsyncGenerator[str, None]]
"""Send a conversation and yield the answer's pieces."""
# Shown to the log (DEBUG) when an answer is refused: enough to see what the model did.
_LOGGED_ANSWER = 500
# An answer over the contract's length bound is not sent back whole for its repair: its start
# shows the model what it did, without sending megabytes upstream again.
_ECHOED_OVERLONG = 4096


@dataclass(slots=True)
class ShapedAnswer:
    """A whole answer after the contract, stop sequences and the token limit.

    Attributes:
        content: The text (``None`` with tool calls and no text).
        tool_calls: The calls, arguments checked.
        finish_reason: ``stop``, ``length`` or ``tool_calls``.
        model: The model that answered.
        usage: Token counts over every round (a repair round included).
    """

    content: str | None
    tool_calls: list[ToolCall]
    finish_reason: str
    model: str
    usage: dict[str, int]


@dataclass(slots=True)
class StreamEnd:
    """The last event of a shaped stream: why it ended, and its usage.

    Attributes:
        finish_reason: ``stop``, ``length`` or ``tool_calls``.
        usage: Estimated token counts over every round.
    """

    finish_reason: str
    usage: dict[str, int] = field(default_factory=dict)


def build_conversation(plan: AnswerPlan | None, messages: object) -> Conversation:
    """The messages sent for ``plan``: tool history as text, the instructions first."""
    if not isinstance(messages, list | tuple):
        raise AssertionError("the caller checks messages first")
    rendered = render_history(messages) if has_tool_history(messages) else list(messages)
    instructions = render_instructions(plan) if plan is not None else None
    if instructions is None:
        return rendered
    return [{"role": "system", "content": instructions}, *rendered]


def _add(total: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    return {key: total.get(key, 0) + more.get(key, 0) for key in more}


def _repair_conversation(
    conversation: Conversation, answer: str, errors: list[str]
) -> Conversation:
    if len(answer) > MAX_ANSWER_CHARS:
        answer = f"{answer[:_ECHOED_OVERLONG]} ... (cut: {len(answer):,} characters in all)"
    return [
        *conversation,
        {"role": "assistant", "content": answer},
        {"role": "user", "content": render_repair(errors)},
    ]


def _rejected(plan: AnswerPlan, answer: str, error: AnswerRejected) -> InvalidModelOutputError:
    _log.warning(
        "the model's answer broke the %s contract again after a repair round (%s); giving up",
        plan.contract,
        error,
    )
    return InvalidModelOutputError(
        f"The model's answer did not follow the {plan.contract} contract, even after one "
        f"repair round: {error}. Retry the request, or simplify the tools or schema.",
        errors=error.errors,
        output=answer,
    )


def _note_repair(plan: AnswerPlan, answer: str, error: AnswerRejected) -> None:
    _log.warning(
        "the model's answer broke the %s contract (%s); repair round: asking once more",
        plan.contract,
        error,
    )
    _log.debug("refused answer: %.*s", _LOGGED_ANSWER, answer)


def _finish_text(plan: AnswerPlan, text: str) -> tuple[str, str]:
    """Cut ``text`` at a stop sequence and at the token limit; return it and the reason."""
    reason = "stop"
    if plan.stop:
        stop = StopFilter(plan.stop)
        text = stop.feed(text) + ("" if stop.stopped else stop.flush())
    if plan.max_tokens is not None:
        budget = TokenBudget(plan.max_tokens)
        text = budget.take(text)
        if budget.exhausted:
            reason = "length"
    return text, reason


async def complete_shaped(
    plan: AnswerPlan | None, conversation: Conversation, ask: AskWhole
) -> ShapedAnswer:
    """Ask for a whole answer under ``plan``, with one repair round for a broken contract.

    Args:
        plan: The request's plan; ``None`` when only tool history had to be rendered.
        conversation: What :func:`build_conversation` made of the messages.
        ask: Sends a conversation.

    Raises:
        InvalidModelOutputError: The answer broke the contract twice.
        DynasparkError: As the service calls of ``ask``.
    """
    result = await ask(conversation)
    usage = result.usage or {}
    if plan is None:
        return ShapedAnswer(result.text, [], "stop", result.model, usage)
    answer = ModelAnswer(content=result.text)
    if plan.contract is not None:
        try:
            answer = read_answer(result.text, plan)
        except AnswerRejected as error:
            _note_repair(plan, result.text, error)
            result = await ask(_repair_conversation(conversation, result.text, error.errors))
            usage = _add(usage, result.usage or {})
            try:
                answer = read_answer(result.text, plan)
            except AnswerRejected as again:
                raise _rejected(plan, result.text, again) from None
    if answer.tool_calls:
        return ShapedAnswer(answer.content, answer.tool_calls, "tool_calls", result.model, usage)
    uncut = answer.content or ""
    text, reason = _finish_text(plan, uncut)
    if text != uncut:
        # The caller is sent the cut answer: the last round's completion is counted as that.
        sent = estimate_tokens(text)
        counted = (result.usage or {}).get("completion_tokens", 0)
        completion = usage.get("completion_tokens", 0) - counted + sent
        usage = usage_counts(usage.get("prompt_tokens", 0), completion)
    return ShapedAnswer(text, [], reason, result.model, usage)


class _TextGate:
    """Stop sequences and the token limit over streamed text."""

    def __init__(self, plan: AnswerPlan) -> None:
        self.stop = StopFilter(plan.stop) if plan.stop else None
        self.budget = TokenBudget(plan.max_tokens) if plan.max_tokens is not None else None

    @property
    def closed(self) -> bool:
        return bool(
            (self.stop is not None and self.stop.stopped)
            or (self.budget is not None and self.budget.exhausted)
        )

    def feed(self, text: str) -> str:
        if self.stop is not None:
            text = self.stop.feed(text)
        if self.budget is not None:
            text = self.budget.take(text)
        return text

    def flush(self) -> str:
        if self.stop is None or self.stop.stopped:
            return ""
        held = self.stop.flush()
        return self.budget.take(held) if self.budget is not None else held

    @property
    def reason(self) -> str:
        return "length" if self.budget is not None and self.budget.exhausted else "stop"


async def _read_round(
    plan: AnswerPlan,
    pieces: AsyncIterator[str],
    gate: _TextGate,
    raw: list[str],
) -> AsyncIterator[str | AnswerStream]:
    """Yield the content of one round as it arrives, then its parser (for the contract)."""
    parser = AnswerStream(plan) if plan.contract is not None else None
    async for piece in pieces:
        raw.append(piece)
        text = parser.feed(piece) if parser is not None else piece
        if text:
            out = gate.feed(text)
            if out:
                yield out
            if gate.closed:
                return
    if parser is not None:
        yield parser


async def stream_shaped(
    plan: AnswerPlan, conversation: Conversation, ask: AskStream
) -> AsyncGenerator[str | list[ToolCall] | StreamEnd, None]:
    """Stream an answer under ``plan``: content pieces, then tool calls, then the end.

    Content goes out as it arrives. A broken contract gets one repair round when nothing has
    gone out yet; otherwise, or when the repair fails too, the stream raises.

    Yields:
        Content text, a list of tool calls (once, at the end), and last a :class:`StreamEnd`.

    Raises:
        InvalidModelOutputError: The answer broke the contract and could not be repaired.
        DynasparkError: As the service calls of ``ask``.
    """
    gate = _TextGate(plan)
    prompt_tokens = estimate_prompt_tokens(conversation)
    raw: list[str] = []
    repaired = False
    while True:
        parser: AnswerStream | None = None
        async with contextlib.aclosing(ask(conversation)) as pieces:
            async for item in _read_round(plan, pieces, gate, raw):
                if isinstance(item, AnswerStream):
                    parser = item
                else:
                    yield item
        completion = estimate_tokens("".join(raw))
        if parser is None:  # plain text, or cut short by the gate
            held = gate.flush() if not gate.closed else ""
            if held:
                yield held
            yield StreamEnd(gate.reason, usage_counts(prompt_tokens, completion))
            return
        answer_text = "".join(raw)
        try:
            answer = parser.finish()
        except AnswerRejected as error:
            if repaired or parser.released_content:
                raise _rejected(plan, answer_text, error) from None
            _note_repair(plan, answer_text, error)
            conversation = _repair_conversation(conversation, answer_text, error.errors)
            prompt_tokens += estimate_prompt_tokens(conversation)
            raw = []
            repaired = True
            continue
        async for rest in _finish_stream(answer, parser, gate):
            yield rest
        reason = "tool_calls" if answer.tool_calls else gate.reason
        yield StreamEnd(reason, usage_counts(prompt_tokens, completion))
        return


async def _finish_stream(
    answer: ModelAnswer, parser: AnswerStream, gate: _TextGate
) -> AsyncIterator[str | list[ToolCall]]:
    """What is left once the whole answer is read: the rest of its content, its calls."""
    content = answer.content or ""
    rest = content[parser.released :]
    if rest and not gate.closed:
        out = gate.feed(rest) + gate.flush()
        if out:
            yield out
    elif not gate.closed:
        held = gate.flush()
        if held:
            yield held
    if answer.tool_calls:
        yield answer.tool_calls
