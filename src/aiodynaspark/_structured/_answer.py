"""Read a model's answer under the contract: tool calls or content, checked against schemas."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from .._config import MAX_ANSWER_CHARS, MAX_ANSWER_DEPTH
from .._ids import new_id
from ._extract import TooDeepError, find_object
from ._plan import AnswerPlan

__all__ = ["AnswerRejected", "ModelAnswer", "ToolCall", "new_call_id", "read_answer"]


def new_call_id() -> str:
    """A fresh tool call id: ``call_`` and 32 hex digits from :mod:`secrets`."""
    return new_id("call_")


@dataclass(slots=True)
class ToolCall:
    """One call the model asked for.

    Attributes:
        id: ``call_...``, fresh for each call.
        name: The tool's name.
        arguments: The arguments as JSON text, as OpenAI gives them.
    """

    id: str
    name: str
    arguments: str


@dataclass(slots=True)
class ModelAnswer:
    """An answer that follows the contract.

    Attributes:
        content: The answer's text (with a schema: the object's JSON text), or ``None``.
        tool_calls: The calls asked for, possibly none.
    """

    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)


class AnswerRejected(Exception):
    """The answer broke the contract; ``errors`` says how, for the repair request."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _read_call(plan: AnswerPlan, call: object, where: str, errors: list[str]) -> ToolCall | None:
    if isinstance(call, Mapping) and isinstance(call.get("function"), Mapping):
        call = call["function"]  # OpenAI's own shape, which models also write
    if not isinstance(call, Mapping) or not isinstance(call.get("name"), str):
        errors.append(f'{where} must be {{"name": "<tool name>", "arguments": {{...}}}}.')
        return None
    name = call["name"]
    tool = plan.tool(name)
    if tool is None:
        known = ", ".join(tool.name for tool in plan.tools)
        errors.append(f"{where} calls {name!r}, which is not a tool; the tools are: {known}.")
        return None
    arguments = call.get("arguments", {})
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except (ValueError, RecursionError):
            errors.append(f"{where}: the arguments of {name!r} are not valid JSON.")
            return None
    problems = tool.validator.errors(arguments)
    if problems:
        errors.extend(f"{where}: the arguments of {name!r} are wrong {p}" for p in problems)
        return None
    return ToolCall(new_call_id(), name, json.dumps(arguments, ensure_ascii=False))


def _read_tool_answer(plan: AnswerPlan, value: object, text: str) -> ModelAnswer:
    if not isinstance(value, Mapping) or not ({"tool_calls", "content"} & value.keys()):
        raise AnswerRejected(['The reply must be one JSON object with "tool_calls" or "content".'])
    errors: list[str] = []
    answer = ModelAnswer()
    calls = value.get("tool_calls") or []
    if not isinstance(calls, list):
        errors.append('"tool_calls" must be a list of calls.')
        calls = []
    for index, call in enumerate(calls):
        read = _read_call(plan, call, f"tool_calls[{index}]", errors)
        if read is not None:
            answer.tool_calls.append(read)
    if len(calls) > 1 and not plan.parallel_tool_calls:
        errors.append(f"The reply calls {len(calls)} tools; call at most one.")
    named = plan.named_tool
    if not calls and (named is not None or plan.tool_choice == "required"):
        errors.append(f"The reply must call {'the tool ' + repr(named) if named else 'a tool'}.")
    if named is not None and any(call.name != named for call in answer.tool_calls):
        errors.append(f"The reply must call only the tool {named!r}.")
    content = value.get("content")
    if plan.schema is not None and content is not None and not calls:
        assert plan.schema_validator is not None
        errors.extend(f"content is wrong {p}" for p in plan.schema_validator.errors(content))
        answer.content = json.dumps(content, ensure_ascii=False)
    elif content is not None and not isinstance(content, str):
        errors.append('"content" must be a string.')
    elif isinstance(content, str):
        answer.content = content
    if not calls and content is None:
        errors.append('The reply must have "tool_calls" or "content".')
    if errors:
        raise AnswerRejected(errors)
    return answer


def read_answer(text: str, plan: AnswerPlan) -> ModelAnswer:
    """Read and check the model's answer under ``plan``'s contract.

    Args:
        text: The whole answer.
        plan: The request's plan (its contract is ``tools`` or ``schema``).

    Returns:
        The answer, every tool call's arguments valid for its tool.

    Raises:
        AnswerRejected: No JSON object, or one that breaks the contract or a schema.
    """
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerRejected(
            [f"The reply is {len(text):,} characters; answer in at most {MAX_ANSWER_CHARS:,}."]
        )
    try:
        found = find_object(text)
    except TooDeepError:
        raise AnswerRejected(
            [f"The reply's JSON nests deeper than {MAX_ANSWER_DEPTH} levels; flatten it."]
        ) from None
    if found is None:
        raise AnswerRejected(["The reply holds no JSON object."])
    value, own_text = found
    if plan.contract == "tools":
        return _read_tool_answer(plan, value, own_text)
    assert plan.schema_validator is not None
    problems = plan.schema_validator.errors(value)
    if problems:
        raise AnswerRejected(problems)
    return ModelAnswer(content=own_text)
