"""Turn tool-call history into plain messages the service can read.

An agent loop sends back the assistant's tool calls and each tool's result. Dynaspark has
no such roles, so both become text in the contract's own JSON (an assistant turn shows the
object it answered; a ``tool`` message names the call it answers), and the model sees its
earlier calls in the form it is asked to use.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from .._config import MAX_ANSWER_DEPTH
from .._errors import InvalidRequestError
from ._schema_shape import json_depth_over

__all__ = ["has_tool_history", "render_history"]


def has_tool_history(messages: object) -> bool:
    """Whether ``messages`` holds an assistant tool call or a tool result."""
    if not isinstance(messages, (list, tuple)):  # a tuple: a third of a union's cost
        return False
    # Asked of every plain request: plain dicts are checked without the Mapping ABC, whose
    # isinstance costs more than the rest of the loop.
    for message in messages:
        if (type(message) is dict or isinstance(message, Mapping)) and (
            message.get("role") == "tool" or message.get("tool_calls")
        ):
            return True
    return False


def _text(content: object) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list | tuple):
        return "\n".join(
            part.get("text", "") if isinstance(part, Mapping) else str(part) for part in content
        )
    raise InvalidRequestError("A tool message's content must be text or text parts.")


def _arguments(raw: object) -> object:
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            return raw
        # Shown to the model again as JSON: nesting past the answer's own bound stays text.
        return raw if json_depth_over(value, MAX_ANSWER_DEPTH) else value
    return raw


def _calls(calls: object, where: str, names: dict[str, str]) -> list[dict[str, Any]]:
    if not isinstance(calls, list | tuple):
        raise InvalidRequestError(f"{where}.tool_calls must be a list.")
    rendered = []
    for index, call in enumerate(calls):
        function = call.get("function") if isinstance(call, Mapping) else None
        if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
            raise InvalidRequestError(
                f"{where}.tool_calls[{index}] must be "
                '{"id": ..., "type": "function", "function": {"name": ..., "arguments": ...}}.'
            )
        call_id = call.get("id")
        entry: dict[str, Any] = {"name": function["name"]}
        if isinstance(call_id, str):
            entry = {"id": call_id, **entry}
            names[call_id] = function["name"]
        entry["arguments"] = _arguments(function.get("arguments") or {})
        rendered.append(entry)
    return rendered


def render_history(messages: Sequence[Any]) -> list[dict[str, Any]]:
    """Rewrite assistant tool calls and tool results as text; other messages stay as given.

    Args:
        messages: The conversation, OpenAI shaped.

    Returns:
        A new list of messages with only ``role`` and ``content`` where a rewrite happened.

    Raises:
        InvalidRequestError: A tool call or tool message in the wrong shape.
    """
    names: dict[str, str] = {}
    rendered: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping):
            rendered.append(message)  # the prompt reader words the error
            continue
        role = message.get("role")
        if role == "assistant" and message.get("tool_calls"):
            said: dict[str, Any] = {}
            text = _text(message.get("content"))
            if text:
                said["content"] = text
            said["tool_calls"] = _calls(message["tool_calls"], f"messages[{index}]", names)
            rendered.append({"role": "assistant", "content": json.dumps(said, ensure_ascii=False)})
        elif role == "tool":
            call_id = message.get("tool_call_id")
            name = names.get(call_id) if isinstance(call_id, str) else None
            label = f"tool call {call_id}" if isinstance(call_id, str) else "a tool call"
            if name:
                label += f" ({name})"
            result = _text(message.get("content"))
            rendered.append({"role": "tool", "content": f"Result of {label}: {result}"})
        else:
            rendered.append(dict(message))
    return rendered
