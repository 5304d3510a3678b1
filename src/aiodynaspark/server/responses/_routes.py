"""``/v1/responses``: OpenAI's Responses API, played on the library's chat completion call.

``POST`` answers one model turn, whole or as an event stream; with ``store`` (the default, as
at OpenAI) the answer and its conversation are kept, so ``previous_response_id`` continues it
and ``GET``/``DELETE`` reach it. Errors use OpenAI's body, mapped as on every route.

A stored answer belongs to the caller key that made it (see :mod:`..ops._store`): for any
other key it does not exist, and every route answers it with the very 404 of an unknown id.
An answer that could not be stored says ``"store": false``.
"""

import logging
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic_core import to_json
from starlette.requests import Request
from starlette.responses import Response

from .._errors import GatewayError
from ..core._chat_call import complete, event_stream, open_stream
from ..core._gateway import Gateway
from ..core._long_chats import long_chat_headers
from ..core._routing import DeclaredRouter
from ..core._schemas import ErrorResponse
from ..core._unhonoured import ignored_params, name_ignored
from ..ops._store import MAX_STORED_ID_CHARS, StoredRecord, request_owner
from ._events import ResponseEvents
from ._input_items import DEFAULT_PAGE, MAX_PAGE, input_items, page_of_items
from ._schemas import ResponsesRequest
from ._translate import (
    chat_options,
    estimated_input_tokens,
    estimated_output_tokens,
    history_messages,
    input_messages,
    new_item_id,
    output_from_completion,
    response_object,
    status_for,
    text_chars,
    usage_object,
)

__all__ = ["build_responses_router"]

_log = logging.getLogger("aiodynaspark.server")

_JSON = "application/json"
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (400, 401, 404, 413, 429, 500, 502, 503, 504)
}
_STREAM_DOC = {
    "text/event-stream": {
        "schema": {"type": "string"},
        "description": "With stream=true: response.* events, each with sequence_number, ending "
        "with response.completed (response.incomplete when cut at max_output_tokens); a "
        "stream broken upstream ends with response.failed.",
    }
}
_RESPONSE_DOC = {"application/json": {"schema": {"type": "object"}}}


def _json(payload: object, status: int = 200) -> Response:
    return Response(to_json(payload), status_code=status, media_type=_JSON)


# An id echoed in an error is cut here: ids the gateway mints are shorter, and a caller's
# megabytes of "id" are not worth sending back.
_SHOWN_ID_CHARS = 64


def shown_id(response_id: str) -> str:
    """An id as an error message quotes it: its first 64 characters, then an ellipsis."""
    if len(response_id) <= _SHOWN_ID_CHARS:
        return response_id
    return response_id[:_SHOWN_ID_CHARS] + "\u2026"


def _not_found(response_id: str, param: str | None = None) -> Response:
    return GatewayError(
        404,
        f"No response found with id {shown_id(response_id)!r}; it was never stored, has "
        "expired or was deleted.",
        code="previous_response_not_found" if param else "not_found",
        param=param,
    ).response("/v1/responses")


def _history_too_long(chars: int, bound: int) -> Response:
    return GatewayError(
        400,
        f"The conversation continued from previous_response_id holds {chars:,} characters of "
        f"text with this turn; this gateway sends at most {bound:,} upstream (setting "
        "max_text_chars, variable AIODYNASPARK_MAX_TEXT_CHARS). Start a new conversation, or "
        "send a shorter history as input.",
        param="previous_response_id",
        code="limit_exceeded",
    ).response("/v1/responses")


def build_responses_router(gateway: Gateway) -> DeclaredRouter:
    """The ``/v1/responses`` routes, bound to one gateway.

    Args:
        gateway: The shared state of the app (client, store).

    Returns:
        A router to include in the app.
    """
    router = DeclaredRouter(tags=["responses"])

    async def find(request: Request, response_id: str) -> StoredRecord | None:
        # Longer ids were never minted, so never stored: no lookup of a caller's megabytes.
        if len(response_id) > MAX_STORED_ID_CHARS:
            return None
        return await gateway.store.get(request_owner(request.scope), response_id)

    async def remember(
        request: Request,
        body: ResponsesRequest,
        response: dict[str, Any],
        conversation: list[dict[str, Any]],
    ) -> None:
        if not response["store"]:
            return
        record: StoredRecord = {
            "response": response,
            "messages": conversation,
            "input_items": input_items(body),
        }
        owner = request_owner(request.scope)
        if not await gateway.store.put(owner, response["id"], record, gateway.store_ttl):
            # The caller is told, rather than handed an id that leads nowhere.
            _log.warning("response %s not stored: too large, or the store refused", response["id"])
            response["store"] = False

    @router.post(
        "/v1/responses",
        responses={200: {"content": {**_RESPONSE_DOC, **_STREAM_DOC}}, **_ERRORS},
        summary="Create a model response, whole or streamed (OpenAI's Responses API).",
    )
    async def create_response(request: Request, body: ResponsesRequest) -> Response:
        history: list[dict[str, Any]] = []
        if body.previous_response_id is not None:
            record = await find(request, body.previous_response_id)
            if record is None:
                return _not_found(body.previous_response_id, "previous_response_id")
            history = record["messages"]
        turn = input_messages(body)
        messages = [*history, *turn]
        if body.instructions is not None:
            messages.insert(0, {"role": "system", "content": body.instructions})
        if history:
            # The request alone was counted on arrival; the history it brings is counted
            # here, with it, as the whole is what goes upstream.
            chars = text_chars(messages)
            if chars > gateway.max_text_chars:
                return _history_too_long(chars, gateway.max_text_chars)
        options = chat_options(body)
        response_id = new_item_id("resp")
        # Estimated before the images leave the messages; only used when the upstream
        # reports no usage.
        input_tokens = estimated_input_tokens(messages)
        if body.stream:
            opened = await open_stream(gateway, body.model, messages, options)

            async def on_done(response: dict[str, Any]) -> None:
                conversation = [*history, *turn, *history_messages(response["output"])]
                await remember(request, body, response, conversation)

            events = ResponseEvents(body, response_id, opened.model, input_tokens, on_done)
            answer = event_stream(gateway, opened, events)
            return name_ignored(answer, ignored_params(body, "responses"))
        completion = await complete(gateway, body.model, messages, options)
        output, finish_reason = output_from_completion(completion)
        status, details = status_for(finish_reason)
        usage = completion.usage
        response = response_object(
            body,
            response_id=response_id,
            created_at=completion.created,
            model=completion.model,
            status=status,
            output=output,
            incomplete_details=details,
            usage=usage_object(usage.prompt_tokens, usage.completion_tokens)
            if usage is not None
            else usage_object(input_tokens, estimated_output_tokens(output)),
        )
        await remember(request, body, response, [*history, *turn, *history_messages(output)])
        whole = name_ignored(_json(response), ignored_params(body, "responses"))
        whole.headers.update(long_chat_headers(False, completion.dropped_params))
        return whole

    @router.get(
        "/v1/responses/{response_id}",
        responses={200: {"content": _RESPONSE_DOC}, **_ERRORS},
        summary="Retrieve a stored response.",
    )
    async def retrieve_response(request: Request, response_id: str) -> Response:
        record = await find(request, response_id)
        if record is None:
            return _not_found(response_id)
        return _json(record["response"])

    @router.get(
        "/v1/responses/{response_id}/input_items",
        responses={200: {"content": _RESPONSE_DOC}, **_ERRORS},
        summary="List the input items of a stored response.",
    )
    async def list_input_items(
        request: Request,
        response_id: str,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
        order: Literal["asc", "desc"] = "desc",
        after: Annotated[str | None, Query(max_length=MAX_STORED_ID_CHARS)] = None,
    ) -> Response:
        # The same owner-checked lookup as GET: another key's response is not found.
        record = await find(request, response_id)
        if record is None:
            return _not_found(response_id)
        items: list[dict[str, Any]] = record.get("input_items", [])
        return _json(page_of_items(items, limit=limit, order=order, after=after))

    @router.delete(
        "/v1/responses/{response_id}",
        responses={200: {"content": _RESPONSE_DOC}, **_ERRORS},
        summary="Delete a stored response.",
    )
    async def delete_response(request: Request, response_id: str) -> Response:
        owner = request_owner(request.scope)
        if len(response_id) > MAX_STORED_ID_CHARS or not await gateway.store.delete(
            owner, response_id
        ):
            return _not_found(response_id)
        return _json({"id": response_id, "object": "response.deleted", "deleted": True})

    return router
