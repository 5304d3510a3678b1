"""``/v1/messages``: Anthropic's Messages API, played on the library's chat completion call.

``POST /v1/messages`` answers one assistant turn, whole or as Anthropic's event stream;
``POST /v1/messages/count_tokens`` estimates a conversation's tokens. Errors on these routes,
whichever layer answers them, are encoded in Anthropic's shape (``server/_errors.py``).
"""

import json
from typing import Any

from pydantic_core import to_json
from starlette.responses import Response

from ..._structured._tokens import estimate_prompt_tokens, estimate_tokens
from ..core._chat_call import complete, event_stream, open_stream
from ..core._gateway import Gateway
from ..core._long_chats import long_chat_headers
from ..core._routing import DeclaredRouter
from ..core._unhonoured import ignored_params, name_ignored
from ._events import MessageEvents
from ._schemas import CountTokensRequest, MessagesRequest
from ._translate import chat_messages, chat_options, message_from_completion

__all__ = ["build_messages_router"]

_ERROR_DOC = {
    "application/json": {
        "schema": {
            "type": "object",
            "description": 'Anthropic\'s error body: {"type": "error", "error": {"type", '
            '"message"}}.',
        }
    }
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"content": _ERROR_DOC, "description": "An error, in Anthropic's shape."}
    for status in (400, 401, 404, 413, 429, 500, 502, 503, 504)
}
_STREAM_DOC = {
    "text/event-stream": {
        "schema": {"type": "string"},
        "description": "With stream=true: message_start, ping, content_block_start/delta/stop "
        "per block, message_delta, message_stop; a stream broken upstream ends with an error "
        "event.",
    }
}
_MESSAGE_DOC = {"application/json": {"schema": {"type": "object"}}}


def _json(payload: object) -> Response:
    return Response(to_json(payload), media_type="application/json")


def build_messages_router(gateway: Gateway) -> DeclaredRouter:
    """The ``/v1/messages`` routes, bound to one gateway.

    Args:
        gateway: The shared state of the app.

    Returns:
        A router to include in the app.
    """
    router = DeclaredRouter(tags=["messages"])

    @router.post(
        "/v1/messages",
        responses={200: {"content": {**_MESSAGE_DOC, **_STREAM_DOC}}, **_ERRORS},
        summary="Create a message, whole or streamed (Anthropic's Messages API).",
    )
    async def create_message(body: MessagesRequest) -> Response:
        messages = chat_messages(body)
        options = chat_options(body)
        stops = tuple(body.stop_sequences or ())
        ignored = ignored_params(body, "messages")
        if body.output_config is not None and body.output_config.effort is not None:
            ignored.append("output_config.effort")
        if body.stream:
            input_tokens = estimate_prompt_tokens(messages)
            opened = await open_stream(gateway, body.model, messages, options)
            answer = event_stream(gateway, opened, MessageEvents(opened.model, input_tokens, stops))
            return name_ignored(answer, ignored)
        completion = await complete(gateway, body.model, messages, options)
        whole = name_ignored(_json(message_from_completion(completion, stops)), ignored)
        whole.headers.update(long_chat_headers(False, completion.dropped_params))
        return whole

    @router.post(
        "/v1/messages/count_tokens",
        responses={200: {"content": _MESSAGE_DOC}, **_ERRORS},
        summary="Estimate the input tokens of a conversation (no model call).",
    )
    async def count_tokens(body: CountTokensRequest) -> Response:
        total = estimate_prompt_tokens(chat_messages(body))
        for tool in body.tools or ():
            # A tool costs what its definition's text costs in the instructions.
            total += estimate_tokens(tool.name + (tool.description or ""))
            total += estimate_tokens(json.dumps(tool.input_schema))
        return _json({"input_tokens": total})

    return router
