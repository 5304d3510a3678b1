"""The event stream of ``POST /v1/messages`` with ``stream: true``, built from chat chunks.

The order is the one Anthropic's SDK accumulates:

    message_start, ping,
    per block: content_block_start, content_block_delta (text_delta or input_json_delta)...,
        content_block_stop
    message_delta (stop_reason, stop_sequence, usage), message_stop

Blocks are numbered from 0 in the order they open; one is open at a time. A stream that
breaks after it began ends with an ``error`` event (which the SDK raises), never with
``message_stop``.
"""

from typing import Any

from pydantic_core import to_json

from ..._structured._stop import StopFilter
from ..._structured._tokens import estimate_tokens
from ...client import ChatCompletionChunk
from .._errors import anthropic_error_body, from_exception
from ._translate import new_message_id, stop_reason_for, usage_object

__all__ = ["MessageEvents"]


def _event(kind: str, payload: dict[str, Any]) -> bytes:
    payload["type"] = kind
    # pydantic-core's encoder: several times quicker than json.dumps on these small dicts.
    return b"event: " + kind.encode() + b"\ndata: " + to_json(payload) + b"\n\n"


_PING = _event("ping", {})


class MessageEvents:
    """Turns one chat stream into Messages events; one instance per request.

    While an answer that arrives whole is awaited, the stream carries Anthropic's own
    keep-alive, a ``ping`` event, which its SDK skips.

    Args:
        model: The model that answers.
        input_tokens: The estimate of the prompt's tokens, for ``message_start``.
        stops: The request's stop sequences.
    """

    keep_alive = _PING

    def __init__(self, model: str, input_tokens: int, stops: tuple[str, ...]) -> None:
        self._model = model
        self._input_tokens = input_tokens
        self._stops = stops
        self._filter = StopFilter(stops) if stops else None
        self._raw = ""  # the text before the stop filter, to name the sequence that cut it
        self._sent = ""
        self._index = -1
        self._open: str | None = None  # "text" or "tool_use"
        self._tool_index: Any = None
        self._finish_reason: str | None = None
        self._output_tokens: int | None = None
        self._estimated = 0  # the output tokens by the estimate, when no usage chunk came

    def start(self) -> bytes:
        """The opening events: ``message_start`` and ``ping``."""
        message: dict[str, Any] = {
            "id": new_message_id(),
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage_object(self._input_tokens, 0),
        }
        return _event("message_start", {"message": message}) + _PING

    def feed(self, chunk: ChatCompletionChunk) -> bytes:
        """The events of one chat chunk."""
        if chunk.usage is not None:
            self._input_tokens = chunk.usage.prompt_tokens
            self._output_tokens = chunk.usage.completion_tokens
        if not chunk.choices:
            return b""
        choice = chunk.choices[0]
        events = b""
        if choice.delta.content:
            events += self._text(choice.delta.content)
        for call in choice.delta.tool_calls or ():
            events += self._tool_call(call.index, call.id, call.function)
        if choice.finish_reason is not None:
            self._finish_reason = choice.finish_reason
        return events

    def _text(self, piece: str) -> bytes:
        if self._filter is not None:
            if self._filter.stopped:
                return b""
            self._raw += piece
            piece = self._filter.feed(piece)
            self._sent += piece
        if not piece:
            return b""
        self._estimated += estimate_tokens(piece)
        events = b""
        if self._open != "text":
            events += self._begin({"type": "text", "text": ""}, "text")
        delta = {"type": "text_delta", "text": piece}
        return events + _event("content_block_delta", {"index": self._index, "delta": delta})

    def _tool_call(self, index: int, call_id: str | None, function: Any) -> bytes:
        events = b""
        if self._open != "tool_use" or index != self._tool_index:
            self._tool_index = index
            block: dict[str, Any] = {
                "type": "tool_use",
                "id": call_id or "",
                "name": (function.name if function is not None else None) or "",
                "input": {},
            }
            events += self._begin(block, "tool_use")
        arguments = function.arguments if function is not None else None
        if arguments:
            self._estimated += estimate_tokens(arguments)
            delta = {"type": "input_json_delta", "partial_json": arguments}
            events += _event("content_block_delta", {"index": self._index, "delta": delta})
        return events

    def _begin(self, block: dict[str, Any], kind: str) -> bytes:
        events = self._end()
        self._index += 1
        self._open = kind
        return events + _event(
            "content_block_start", {"index": self._index, "content_block": block}
        )

    def _end(self) -> bytes:
        if self._open is None:
            return b""
        self._open = None
        return _event("content_block_stop", {"index": self._index})

    def _stop_sequence(self) -> str | None:
        if self._filter is None or not self._filter.stopped:
            return None
        rest = self._raw[len(self._sent) :]
        return next((stop for stop in self._stops if rest.startswith(stop)), None)

    async def finish(self) -> bytes:
        """The closing events of a stream that ended well."""
        events = b""
        if self._filter is not None and not self._filter.stopped:
            held = self._filter.flush()
            if held:
                self._filter = None  # the held text goes out as it is
                events += self._text(held)
        stop_sequence = self._stop_sequence() if self._filter is not None else None
        events += self._end()
        delta = {
            "stop_reason": stop_reason_for(self._finish_reason, stop_sequence),
            "stop_sequence": stop_sequence,
        }
        output = self._estimated if self._output_tokens is None else self._output_tokens
        usage = {"output_tokens": output}
        if self._output_tokens is not None:
            usage["input_tokens"] = self._input_tokens
        return (
            events
            + _event("message_delta", {"delta": delta, "usage": usage})
            + _event("message_stop", {})
        )

    def fail(self, exc: Exception) -> bytes:
        """The closing ``error`` event of a stream that broke."""
        error = from_exception(exc)
        return b"event: error\ndata: " + anthropic_error_body(error) + b"\n\n"
