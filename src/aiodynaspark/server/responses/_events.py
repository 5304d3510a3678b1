"""The event stream of ``POST /v1/responses`` with ``stream: true``, built from chat chunks.

The order is the one OpenAI's SDK accumulates, and checks:

    response.created, response.in_progress,
    per text answer: output_item.added, content_part.added, output_text.delta...,
        output_text.done, content_part.done, output_item.done
    per tool call: output_item.added, function_call_arguments.delta...,
        function_call_arguments.done, output_item.done
    response.completed (response.incomplete when cut at max_output_tokens)

Every event carries ``sequence_number``, counting from 0. An item is closed when the next one
opens, so at most one is open at a time. A stream that breaks after it began ends with
``response.failed``, holding the output so far: never ``response.completed``.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic_core import to_json

from ...client import ChatCompletionChunk
from .._errors import from_exception
from ..core._long_chats import KEEP_ALIVE
from ._schemas import ResponsesRequest
from ._translate import (
    Item,
    estimated_output_tokens,
    function_call_item,
    message_item,
    new_item_id,
    response_object,
    status_for,
    usage_object,
)

__all__ = ["ResponseEvents"]


def _field(value: Any, name: str) -> Any:
    # Tool call deltas are typed models from the library; plain dicts are read the same way.
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


class ResponseEvents:
    """Turns one chat stream into Responses events; one instance per request.

    While an answer that arrives whole is awaited, the stream carries ``: keep-alive``
    comments, as OpenAI's SDK skips them.

    Args:
        body: The request, echoed in the ``response`` objects.
        response_id: The response's id.
        model: The model that answers.
        input_tokens: The estimate of the prompt's tokens, used if the stream reports none.
        on_done: Called with the finished ``response`` object (to store it), before the
            closing event is sent.
    """

    keep_alive = KEEP_ALIVE

    def __init__(
        self,
        body: ResponsesRequest,
        response_id: str,
        model: str,
        input_tokens: int,
        on_done: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        self._body = body
        self._id = response_id
        self._model = model
        self._input_tokens = input_tokens
        self._on_done = on_done
        self._sequence = 0
        self._output: list[Item] = []
        self._open: Item | None = None  # the item being streamed
        self._pieces: list[str] = []  # its text or arguments so far
        self._tool_index: Any = None  # the chat tool call index of the open function call
        self._finish_reason: str | None = None
        self._usage: Any = None

    def _event(self, kind: str, payload: dict[str, Any]) -> bytes:
        payload["type"] = kind
        payload["sequence_number"] = self._sequence
        self._sequence += 1
        # pydantic-core's encoder: several times quicker than json.dumps on these small dicts.
        return b"event: " + kind.encode() + b"\ndata: " + to_json(payload) + b"\n\n"

    def _response(self, status: str, **fields: Any) -> dict[str, Any]:
        return response_object(
            self._body,
            response_id=self._id,
            model=self._model,
            status=status,
            output=list(self._output),
            **fields,
        )

    def start(self) -> bytes:
        """The opening events: ``response.created``, ``response.in_progress``."""
        self._created = self._response("in_progress")
        return self._event("response.created", {"response": self._created}) + self._event(
            "response.in_progress", {"response": self._created}
        )

    def feed(self, chunk: ChatCompletionChunk) -> bytes:
        """The events of one chat chunk (often one ``output_text.delta``)."""
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self._usage = usage
        if not chunk.choices:
            return b""
        choice = chunk.choices[0]
        delta = choice.delta
        events = b""
        if delta.content:
            events += self._text(delta.content)
        calls = getattr(delta, "tool_calls", None)
        if calls:
            for call in calls:
                events += self._tool_call(call)
        if choice.finish_reason is not None:
            self._finish_reason = choice.finish_reason
        return events

    def _text(self, text: str) -> bytes:
        events = b""
        if self._open is None or self._open["type"] != "message":
            events += self._close()
            item = message_item(new_item_id("msg"), "", "in_progress")
            item["content"] = []
            events += self._open_item(item)
            part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            events += self._event(
                "response.content_part.added",
                {**self._where(), "content_index": 0, "part": part},
            )
        self._pieces.append(text)
        return events + self._event(
            "response.output_text.delta",
            {**self._where(), "content_index": 0, "delta": text, "logprobs": []},
        )

    def _tool_call(self, call: Any) -> bytes:
        events = b""
        index = _field(call, "index")
        function = _field(call, "function")
        if self._open is None or self._open["type"] != "function_call" or index != self._tool_index:
            events += self._close()
            self._tool_index = index
            name = _field(function, "name") or ""
            item = function_call_item(
                new_item_id("fc"),
                _field(call, "id") or new_item_id("call"),
                name,
                "",
                "in_progress",
            )
            events += self._open_item(item)
        arguments = _field(function, "arguments") if function is not None else None
        if arguments:
            self._pieces.append(arguments)
            events += self._event(
                "response.function_call_arguments.delta", {**self._where(), "delta": arguments}
            )
        return events

    def _where(self) -> dict[str, Any]:
        assert self._open is not None
        return {"item_id": self._open["id"], "output_index": len(self._output)}

    def _open_item(self, item: Item) -> bytes:
        self._open = item
        self._pieces = []
        return self._event(
            "response.output_item.added", {"output_index": len(self._output), "item": dict(item)}
        )

    def _close(self) -> bytes:
        """The closing events of the open item, which then joins the output."""
        item = self._open
        if item is None:
            return b""
        where = self._where()
        text = "".join(self._pieces)
        status, _ = status_for(self._finish_reason)
        if item["type"] == "message":
            done = message_item(item["id"], text, status)
            part = done["content"][0]
            events = self._event(
                "response.output_text.done",
                {**where, "content_index": 0, "text": text, "logprobs": []},
            ) + self._event(
                "response.content_part.done", {**where, "content_index": 0, "part": part}
            )
        else:
            done = function_call_item(item["id"], item["call_id"], item["name"], text)
            events = self._event(
                "response.function_call_arguments.done",
                {**where, "name": item["name"], "arguments": text},
            )
        events += self._event(
            "response.output_item.done", {"output_index": where["output_index"], "item": done}
        )
        self._output.append(done)
        self._open = None
        return events

    def _usage_object(self) -> dict[str, Any]:
        usage = self._usage
        if usage is not None:
            return usage_object(_field(usage, "prompt_tokens"), _field(usage, "completion_tokens"))
        return usage_object(self._input_tokens, estimated_output_tokens(self._output))

    async def finish(self) -> bytes:
        """The closing events of a stream that ended well."""
        if self._open is None and not self._output:
            self._open_item(message_item(new_item_id("msg"), "", "in_progress"))
        events = self._close()
        status, details = status_for(self._finish_reason)
        response = self._response(status, usage=self._usage_object(), incomplete_details=details)
        response["created_at"] = self._created["created_at"]
        await self._on_done(response)
        kind = "response.completed" if status == "completed" else "response.incomplete"
        return events + self._event(kind, {"response": response})

    def fail(self, exc: Exception) -> bytes:
        """The closing event of a stream that broke: ``response.failed``."""
        error = from_exception(exc)
        code = "rate_limit_exceeded" if error.status == 429 else "server_error"
        response = self._response("failed", error={"code": code, "message": error.message})
        response["created_at"] = self._created["created_at"]
        if self._open is not None:
            # The item cut mid-way, as far as it came.
            item = dict(self._open)
            if item["type"] == "message":
                item = message_item(item["id"], "".join(self._pieces), "incomplete")
            else:
                item["arguments"] = "".join(self._pieces)
                item["status"] = "incomplete"
            response["output"].append(item)
        return self._event("response.failed", {"response": response})
