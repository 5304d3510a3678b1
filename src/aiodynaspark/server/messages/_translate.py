"""Anthropic's Messages API <-> chat completions: one chat call, answered as content blocks.

Blocks become chat messages: ``tool_use`` blocks the assistant message's ``tool_calls``
(arguments as a JSON string), ``tool_result`` blocks ``tool`` messages, ``image`` blocks
``image_url`` parts with a data URI. The answer's text becomes one ``text`` block and each
tool call a ``tool_use`` block with its arguments parsed.

Stop sequences are applied here rather than by the library: Anthropic's answer names the
sequence that ended it (``stop_sequence``), so the gateway must see where the text was cut.
The cut itself is the library's (:func:`cut_at_stop`).
"""

import json
from typing import Any

from ..._errors import InvalidRequestError
from ..._ids import new_id
from ..._structured._stop import cut_at_stop
from ...client import ChatCompletion
from ._schemas import (
    CountTokensRequest,
    ImageBlock,
    MessageParam,
    MessagesRequest,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
)

__all__ = [
    "chat_messages",
    "chat_options",
    "matched_stop",
    "message_from_completion",
    "new_message_id",
    "stop_reason_for",
    "tool_input",
    "usage_object",
]

Block = dict[str, Any]


def new_message_id() -> str:
    """A fresh id in Anthropic's form, ``msg_`` and 32 hex digits from :mod:`secrets`."""
    return new_id("msg_")


def _system_text(system: str | list[TextBlock] | None) -> str | None:
    if system is None or isinstance(system, str):
        return system
    return "\n".join(block.text for block in system)


def _image_part(block: ImageBlock) -> dict[str, Any]:
    source = block.source
    if source.type == "base64":
        url = f"data:{source.media_type};base64,{source.data}"
    else:
        url = source.url
    return {"type": "image_url", "image_url": {"url": url}}


def _tool_result_text(block: ToolResultBlock) -> str:
    content = block.content
    text = "" if content is None else content if isinstance(content, str) else ""
    if isinstance(content, list):
        text = "".join(part.text for part in content)
    # The model is told plainly when the tool failed; Anthropic passes is_error as a flag.
    return f"Error: {text}" if block.is_error else text


def _turn(message: MessageParam) -> list[dict[str, Any]]:
    if isinstance(message.content, str):
        return [{"role": message.role, "content": message.content}]
    if message.role == "assistant":
        texts: list[str] = []
        calls: list[dict[str, Any]] = []
        for block in message.content:
            if isinstance(block, TextBlock):
                texts.append(block.text)
            elif isinstance(block, ToolUseBlock):
                arguments = json.dumps(block.input, separators=(",", ":"))
                calls.append(
                    {
                        "id": block.id,
                        "type": "function",
                        "function": {"name": block.name, "arguments": arguments},
                    }
                )
            else:
                raise InvalidRequestError(f"An assistant message cannot hold a {block.type} block.")
        turn: dict[str, Any] = {"role": "assistant", "content": "".join(texts) or None}
        if calls:
            turn["tool_calls"] = calls
        return [turn]
    results: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for block in message.content:
        if isinstance(block, ToolResultBlock):
            results.append(
                {
                    "role": "tool",
                    "tool_call_id": block.tool_use_id,
                    "content": _tool_result_text(block),
                }
            )
        elif isinstance(block, TextBlock):
            parts.append({"type": "text", "text": block.text})
        elif isinstance(block, ImageBlock):
            parts.append(_image_part(block))
        else:
            raise InvalidRequestError("A user message cannot hold a tool_use block.")
    if parts and all(part["type"] == "text" for part in parts):
        results.append({"role": "user", "content": "".join(p["text"] for p in parts)})
    elif parts:
        results.append({"role": "user", "content": parts})
    return results


def chat_messages(body: MessagesRequest | CountTokensRequest) -> list[dict[str, Any]]:
    """The chat messages of a request: the system prompt, then every turn.

    Raises:
        InvalidRequestError: A block in a turn that cannot hold it.
    """
    messages: list[dict[str, Any]] = []
    system = _system_text(body.system)
    if system:
        messages.append({"role": "system", "content": system})
    for message in body.messages:
        messages.extend(_turn(message))
    return messages


def chat_options(body: MessagesRequest) -> dict[str, Any]:
    """The chat completion keywords for the request's tools, length, sampling and format.

    Raises:
        InvalidRequestError: ``tool_choice`` of type ``tool`` without a name.
    """
    options: dict[str, Any] = {"max_tokens": body.max_tokens}
    if body.tools:
        options["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": tool.name,
                    "parameters": tool.input_schema,
                    **({"description": tool.description} if tool.description else {}),
                },
            }
            for tool in body.tools
        ]
    choice = body.tool_choice
    if choice is not None:
        if choice.type == "tool":
            if not choice.name:
                raise InvalidRequestError("tool_choice of type 'tool' needs the tool's name.")
            options["tool_choice"] = {"type": "function", "function": {"name": choice.name}}
        else:
            options["tool_choice"] = {"auto": "auto", "any": "required", "none": "none"}[
                choice.type
            ]
        if choice.disable_parallel_tool_use is not None and body.tools:
            options["parallel_tool_calls"] = not choice.disable_parallel_tool_use
    if body.temperature is not None:
        options["temperature"] = body.temperature
    if body.top_p is not None:
        options["top_p"] = body.top_p
    output_format = body.output_config.format if body.output_config else None
    if output_format is not None:
        # Through the client's structured-output engine, exactly as chat's json_schema.
        options["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "output", "schema": output_format.schema_, "strict": True},
        }
    return options


def tool_input(arguments: str) -> dict[str, Any]:
    """A tool call's JSON arguments as the ``input`` object of a ``tool_use`` block."""
    try:
        value = json.loads(arguments) if arguments else {}
    except ValueError:
        value = None
    return value if isinstance(value, dict) else {}


def matched_stop(text: str, stops: tuple[str, ...]) -> tuple[str, str | None]:
    """``text`` cut before its first stop sequence, and that sequence (``None``: no cut)."""
    kept, found = cut_at_stop(text, stops)
    if not found:
        return text, None
    rest = text[len(kept) :]
    return kept, next(stop for stop in stops if rest.startswith(stop))


def stop_reason_for(finish_reason: str | None, stop_sequence: str | None) -> str:
    """Anthropic's ``stop_reason`` for a chat ``finish_reason``."""
    if stop_sequence is not None:
        return "stop_sequence"
    if finish_reason == "tool_calls":
        return "tool_use"
    if finish_reason == "length":
        return "max_tokens"
    return "end_turn"


def usage_object(input_tokens: int, output_tokens: int) -> dict[str, int]:
    """The ``usage`` of a message."""
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


def message_from_completion(completion: ChatCompletion, stops: tuple[str, ...]) -> Block:
    """The whole ``message`` answer of a chat completion."""
    choice = completion.choices[0]
    content: list[Block] = []
    text = choice.message.content or ""
    stop_sequence = None
    if stops and text:
        text, stop_sequence = matched_stop(text, stops)
    if text:
        content.append({"type": "text", "text": text})
    for call in choice.message.tool_calls or ():
        content.append(
            {
                "type": "tool_use",
                "id": call.id,
                "name": call.function.name,
                "input": tool_input(call.function.arguments),
            }
        )
    usage = completion.usage
    return {
        "id": new_message_id(),
        "type": "message",
        "role": "assistant",
        "model": completion.model,
        "content": content,
        "stop_reason": stop_reason_for(choice.finish_reason, stop_sequence),
        "stop_sequence": stop_sequence,
        "usage": usage_object(usage.prompt_tokens, usage.completion_tokens)
        if usage is not None
        else usage_object(0, 0),
    }
