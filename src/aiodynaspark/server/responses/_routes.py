"""``/v1/responses``: OpenAI's Responses API, played on the library's chat completion call.

``POST`` answers one model turn, whole or as an event stream; with ``store`` (the default, as
at OpenAI) the answer and its conversation are kept, so ``previous_response_id`` continues it
and ``GET``/``DELETE`` reach it. Errors use OpenAI's body, mapped as on every route.
"""

import logging
from typing import Any

from fastapi import APIRouter
from pydantic_core import to_json
from starlette.responses import Response

from .._errors import GatewayError
from ..core._chat_call import complete, open_stream
from ..core._gateway import Gateway
from ..core._schemas import ErrorResponse
from ..core._streaming import EventStream
from ..ops._store import StoredRecord
from ._events import ResponseEvents
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


def _not_found(response_id: str, param: str | None = None) -> Response:
    return GatewayError(
        404,
        f"No response found with id {response_id!r}; it was never stored, has expired or "
        "was deleted.",
        code="previous_response_not_found" if param else "not_found",
        param=param,
    ).response("/v1/responses")


def build_responses_router(gateway: Gateway) -> APIRouter:
    """The ``/v1/responses`` routes, bound to one gateway.

    Args:
        gateway: The shared state of the app (client, store).

    Returns:
        A router to include in the app.
    """
    router = APIRouter(tags=["responses"])

    async def remember(
        body: ResponsesRequest, response: dict[str, Any], conversation: list[dict[str, Any]]
    ) -> None:
        if body.store is False:
            return
        record: StoredRecord = {"response": response, "messages": conversation}
        if not await gateway.store.put(response["id"], record, gateway.store_ttl):
            _log.warning("response %s not stored: larger than the whole store", response["id"])

    @router.post(
        "/v1/responses",
        responses={200: {"content": {**_RESPONSE_DOC, **_STREAM_DOC}}, **_ERRORS},
        summary="Create a model response, whole or streamed (OpenAI's Responses API).",
    )
    async def create_response(body: ResponsesRequest) -> Response:
        history: list[dict[str, Any]] = []
        if body.previous_response_id is not None:
            record = await gateway.store.get(body.previous_response_id)
            if record is None:
                return _not_found(body.previous_response_id, "previous_response_id")
            history = record["messages"]
        turn = input_messages(body)
        messages = [*history, *turn]
        if body.instructions is not None:
            messages.insert(0, {"role": "system", "content": body.instructions})
        options = chat_options(body)
        response_id = new_item_id("resp")
        # Estimated before the images leave the messages; only used when the upstream
        # reports no usage.
        input_tokens = estimated_input_tokens(messages)
        if body.stream:
            first, stream = await open_stream(gateway, body.model, messages, options)

            async def on_done(response: dict[str, Any]) -> None:
                conversation = [*history, *turn, *history_messages(response["output"])]
                await remember(body, response, conversation)

            events = ResponseEvents(body, response_id, first.model, input_tokens, on_done)
            return EventStream(events.start(first), stream, events.feed, events.finish, events.fail)
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
        await remember(body, response, [*history, *turn, *history_messages(output)])
        return _json(response)

    @router.get(
        "/v1/responses/{response_id}",
        responses={200: {"content": _RESPONSE_DOC}, **_ERRORS},
        summary="Retrieve a stored response.",
    )
    async def retrieve_response(response_id: str) -> Response:
        record = await gateway.store.get(response_id)
        if record is None:
            return _not_found(response_id)
        return _json(record["response"])

    @router.delete(
        "/v1/responses/{response_id}",
        responses={200: {"content": _RESPONSE_DOC}, **_ERRORS},
        summary="Delete a stored response.",
    )
    async def delete_response(response_id: str) -> Response:
        if not await gateway.store.delete(response_id):
            return _not_found(response_id)
        return _json({"id": response_id, "object": "response.deleted", "deleted": True})

    return router
