"""Responses API <-> chat completions: requests into one chat call, answers back into items.

The Responses API is played on top of the library's chat completion call: input items
become chat messages (a ``function_call`` item joins the assistant message before it as a
``tool_calls`` entry, a ``function_call_output`` item becomes a ``tool`` message), and the
chat answer becomes output items (its text one ``message`` item, each tool call one
``function_call`` item). Everything here works on plain dicts, the shape that is stored for
``previous_response_id`` and encoded on the wire.
"""

import time
from typing import Any

from ..._errors import InvalidRequestError
from ..._ids import new_id
from ..._structured._tokens import estimate_prompt_tokens, estimate_tokens
from ...client import ChatCompletion
from ._schemas import (
    FunctionCallItem,
    FunctionCallOutputItem,
    InputImage,
    InputMessage,
    InputText,
    ResponsesRequest,
)

__all__ = [
    "chat_options",
    "estimated_input_tokens",
    "estimated_output_tokens",
    "function_call_item",
    "history_messages",
    "input_messages",
    "message_item",
    "new_item_id",
    "output_from_completion",
    "response_object",
    "status_for",
    "text_chars",
    "usage_object",
]

Item = dict[str, Any]


def new_item_id(prefix: str) -> str:
    """A fresh id in OpenAI's form: ``resp_``, ``msg_`` or ``fc_`` and 48 hex digits."""
    # 192 bits, as OpenAI's own response ids carry about as many characters.
    return new_id(prefix + "_", 192)


def _part(part: Any, role: str) -> dict[str, Any]:
    if isinstance(part, InputImage):
        if part.image_url is None:
            raise InvalidRequestError(
                "input_image needs image_url (a data:image/...;base64, URI); file_id is not "
                "supported, as the gateway keeps no files."
            )
        if role == "assistant":
            raise InvalidRequestError("An assistant message cannot hold an input_image.")
        return {"type": "image_url", "image_url": {"url": part.image_url}}
    text = part.text if isinstance(part, InputText) else part.refusal
    return {"type": "text", "text": text}


def _message(item: InputMessage) -> dict[str, Any]:
    content = item.content
    if isinstance(content, str):
        return {"role": item.role, "content": content}
    parts = [_part(part, item.role) for part in content]
    if all(part["type"] == "text" for part in parts):
        # Plain text travels as a string: the library's quickest path, and the only content
        # an assistant message may have.
        return {"role": item.role, "content": "".join(part["text"] for part in parts)}
    return {"role": item.role, "content": parts}


def _tool_output(item: FunctionCallOutputItem) -> str:
    if isinstance(item.output, str):
        return item.output
    texts = []
    for part in item.output:
        if isinstance(part, InputImage):
            raise InvalidRequestError("A function_call_output can hold text only, not images.")
        texts.append(part.text if isinstance(part, InputText) else part.refusal)
    return "".join(texts)


def input_messages(body: ResponsesRequest) -> list[dict[str, Any]]:
    """The chat messages of this request's ``input`` (without ``instructions``).

    Raises:
        InvalidRequestError: An image given by file id, or an image where only text fits.
    """
    if isinstance(body.input, str):
        return [{"role": "user", "content": body.input}]
    messages: list[dict[str, Any]] = []
    for item in body.input:
        if isinstance(item, InputMessage):
            messages.append(_message(item))
        elif isinstance(item, FunctionCallItem):
            call = {
                "id": item.call_id,
                "type": "function",
                "function": {"name": item.name, "arguments": item.arguments},
            }
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant":
                last.setdefault("tool_calls", []).append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif isinstance(item, FunctionCallOutputItem):
            content = _tool_output(item)
            messages.append({"role": "tool", "tool_call_id": item.call_id, "content": content})
    return messages


def chat_options(body: ResponsesRequest) -> dict[str, Any]:
    """The chat completion keywords that carry this request's tools, format and sampling."""
    options: dict[str, Any] = {}
    if body.tools:
        options["tools"] = [
            {
                "type": "function",
                "function": tool.model_dump(exclude={"type"}, exclude_none=True),
            }
            for tool in body.tools
        ]
    choice = body.tool_choice
    if choice is not None:
        options["tool_choice"] = (
            choice
            if isinstance(choice, str)
            else {"type": "function", "function": {"name": choice.name}}
        )
    if body.parallel_tool_calls is not None and body.tools:
        options["parallel_tool_calls"] = body.parallel_tool_calls
    text_format = body.text.format if body.text is not None else None
    if text_format is not None and text_format.type == "json_object":
        options["response_format"] = {"type": "json_object"}
    elif text_format is not None and text_format.type == "json_schema":
        schema: dict[str, Any] = {
            "name": text_format.name or "response",
            "schema": text_format.schema_,
        }
        if text_format.strict is not None:
            schema["strict"] = text_format.strict
        if text_format.description is not None:
            schema["description"] = text_format.description
        options["response_format"] = {"type": "json_schema", "json_schema": schema}
    if body.max_output_tokens is not None:
        options["max_tokens"] = body.max_output_tokens
    if body.temperature is not None:
        options["temperature"] = body.temperature
    if body.top_p is not None:
        options["top_p"] = body.top_p
    if body.truncation is not None:
        options["truncation"] = body.truncation
    return options


def message_item(item_id: str, text: str, status: str = "completed") -> Item:
    """An assistant ``message`` output item holding one ``output_text`` part."""
    return {
        "id": item_id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
    }


def function_call_item(
    item_id: str, call_id: str, name: str, arguments: str, status: str = "completed"
) -> Item:
    """A ``function_call`` output item."""
    return {
        "id": item_id,
        "type": "function_call",
        "status": status,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
    }


def status_for(finish_reason: str | None) -> tuple[str, dict[str, str] | None]:
    """The response ``status`` and ``incomplete_details`` for a chat ``finish_reason``."""
    if finish_reason == "length":
        return "incomplete", {"reason": "max_output_tokens"}
    if finish_reason == "content_filter":
        return "incomplete", {"reason": "content_filter"}
    return "completed", None


def usage_object(input_tokens: int, output_tokens: int) -> dict[str, Any]:
    """The ``usage`` of a response."""
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }


def text_chars(messages: list[dict[str, Any]]) -> int:
    """The characters of text in chat messages: contents, tool outputs, calls' arguments."""
    total = 0
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            total += len(content)
        elif isinstance(content, list):
            total += sum(len(part.get("text", "")) for part in content)
        for call in message.get("tool_calls", ()):
            total += len(call["function"]["name"]) + len(call["function"]["arguments"])
    return total


def estimated_input_tokens(messages: list[dict[str, Any]]) -> int:
    """The library's estimate of a conversation's tokens, for answers without usage."""
    return estimate_prompt_tokens(messages)


def estimated_output_tokens(output: list[Item]) -> int:
    """The estimate of an answer's tokens: its text and its calls' arguments."""
    total = 0
    for item in output:
        if item["type"] == "message":
            total += sum(estimate_tokens(part["text"]) for part in item["content"])
        else:
            total += estimate_tokens(item["name"] + item["arguments"])
    return total


def output_from_completion(completion: ChatCompletion) -> tuple[list[Item], str | None]:
    """The output items of a chat answer, and its ``finish_reason``."""
    choice = completion.choices[0]
    status, _ = status_for(choice.finish_reason)
    output: list[Item] = []
    text = choice.message.content
    calls = getattr(choice.message, "tool_calls", None) or ()
    if text or not calls:
        output.append(message_item(new_item_id("msg"), text or "", status))
    for call in calls:
        output.append(
            function_call_item(
                new_item_id("fc"), call.id, call.function.name, call.function.arguments
            )
        )
    return output, choice.finish_reason


def history_messages(output: list[Item]) -> list[dict[str, Any]]:
    """The chat messages an answer's output items add to the conversation."""
    message: dict[str, Any] = {"role": "assistant", "content": None}
    for item in output:
        if item["type"] == "message":
            message["content"] = "".join(part["text"] for part in item["content"])
        elif item["type"] == "function_call":
            call = {
                "id": item["call_id"],
                "type": "function",
                "function": {"name": item["name"], "arguments": item["arguments"]},
            }
            message.setdefault("tool_calls", []).append(call)
    return [message]


def response_object(
    body: ResponsesRequest,
    *,
    response_id: str,
    created_at: int | None = None,
    model: str,
    status: str,
    output: list[Item],
    usage: dict[str, Any] | None = None,
    error: dict[str, str] | None = None,
    incomplete_details: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A whole ``response`` object, with the request's settings echoed as OpenAI does."""
    text_format = body.text.format if body.text is not None else None
    tool_choice: Any = body.tool_choice if body.tool_choice is not None else "auto"
    if not isinstance(tool_choice, str):
        tool_choice = tool_choice.model_dump()
    return {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()) if created_at is None else created_at,
        "status": status,
        "background": False,
        "error": error,
        "incomplete_details": incomplete_details,
        "instructions": body.instructions,
        "max_output_tokens": body.max_output_tokens,
        "model": model,
        "output": output,
        "parallel_tool_calls": body.parallel_tool_calls is not False,
        "previous_response_id": body.previous_response_id,
        "reasoning": {"effort": None, "summary": None},
        "store": body.store is not False,
        "temperature": body.temperature,
        "text": {
            "format": text_format.model_dump(by_alias=True, exclude_none=True)
            if text_format is not None
            else {"type": "text"}
        },
        "tool_choice": tool_choice,
        "tools": [tool.model_dump(exclude_none=True) for tool in body.tools or ()],
        "top_p": body.top_p,
        "truncation": body.truncation or "disabled",
        "usage": usage,
        "user": body.user,
        "metadata": body.metadata or {},
    }
