"""The OpenAI-compatible routes: models, chat completions, images, speech, health.

Each route checks its body with its pydantic model (the JSON the input bounds parsed, through
``core/_routing.py``; FastAPI words any refusal), calls the shared :class:`AsyncClient`
and encodes the answer with pydantic's serializer straight to bytes. Errors are not caught here:
the library's exceptions go to the handlers of :mod:`._handlers`, mapped in one place.
"""

from typing import Any

from fastapi import Request
from pydantic import BaseModel
from pydantic_core import to_json
from starlette.responses import Response

from ..._chat_options import GATEWAY_PASSED
from ...client import ChatCompletion, ImagesResponse, Model, ModelList
from ..core._chat_call import opening_chunk
from ..core._gateway import Gateway
from ..core._images import take_image_urls
from ..core._long_chats import TRUNCATION_HEADER, long_chat_headers
from ..core._routing import DeclaredRouter
from ..core._schemas import (
    ChatCompletionRequest,
    ErrorResponse,
    ImageGenerationRequest,
    SpeechRequest,
)
from ..core._streaming import ChatEventStream
from ..core._unhonoured import ignored_params, name_ignored
from ..ops._aliases import alias_entries

__all__ = ["build_router"]

_JSON = "application/json"
# Fields of ChatCompletionRequest handed to the client under their own names.
_PASSED_ON = (*GATEWAY_PASSED, "provider")


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorResponse} for status in statuses}


_TRUNCATION_PARAMETER = {
    "name": TRUNCATION_HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "enum": ["auto", "disabled"]},
    "description": "auto: drop the oldest turns of a conversation too long for the REST API's "
    "URL until it fits, so it streams (as the truncation field).",
}

# What any POST route may answer besides 200: bad input, key, size, upstream failures.
_POST_ERRORS = (400, 401, 413, 429, 500, 502, 503, 504)


def _json(model: BaseModel) -> Response:
    return Response(model.__pydantic_serializer__.to_json(model), media_type=_JSON)


def build_router(gateway: Gateway) -> DeclaredRouter:
    """The ``/v1`` routes, bound to one gateway.

    Args:
        gateway: The shared state of the app.

    Returns:
        A router to include in the app.
    """
    router = DeclaredRouter()
    # Routes are matched in order: the busiest first.

    @router.post(
        "/v1/chat/completions",
        response_model=ChatCompletion,
        responses={
            200: {
                "content": {
                    "text/event-stream": {
                        "schema": {"type": "string"},
                        "description": "With stream=true: data: {chunk} events, then "
                        "data: [DONE]; a stream broken upstream ends with data: {error}.",
                    }
                }
            },
            **_errors(*_POST_ERRORS, 404),
        },
        tags=["chat"],
        summary="Create a chat completion, whole or streamed.",
        # Read from the request itself: a declared header parameter costs FastAPI an analysis
        # of its annotation on every request (about 30 us), for a header few requests send.
        openapi_extra={"parameters": [_TRUNCATION_PARAMETER]},
    )
    async def create_chat_completion(body: ChatCompletionRequest, request: Request) -> Response:
        truncation = request.headers.get(TRUNCATION_HEADER)
        fields = body.model_dump(include={"messages"}, exclude_none=True)
        messages: list[dict[str, object]] = fields["messages"]
        fetched = await take_image_urls(messages, gateway.fetch_image)
        options: dict[str, Any] = {
            name: value for name in _PASSED_ON if (value := getattr(body, name)) is not None
        }
        if truncation is not None:
            options["truncation"] = truncation.strip().lower()
        if fetched:
            options["media"] = fetched
        await gateway.load_schema_engine(options)
        model = await gateway.admit("chat", body.model)
        completions = gateway.client.chat.completions
        ignored = ignored_params(body, "chat")
        if not body.stream:
            completion = await completions.create(model=model, messages=messages, **options)
            response = name_ignored(_json(completion), ignored)
            response.headers.update(long_chat_headers(False, completion.dropped_params))
            return response
        stream = await completions.create(model=model, messages=messages, stream=True, **options)
        first = await opening_chunk(stream)
        # Read after the first chunk: a host that refused the URL (414) made it whole only now.
        headers = long_chat_headers(stream.whole, stream.dropped_params)
        keep_alive = gateway.stream_keep_alive if first is None else None
        answer = ChatEventStream(first, stream, headers=headers, keep_alive=keep_alive)
        return name_ignored(answer, ignored)

    @router.post(
        "/v1/images/generations",
        response_model=ImagesResponse,
        responses=_errors(*_POST_ERRORS),
        tags=["images"],
        summary="Generate one image from a prompt.",
    )
    async def create_image(body: ImageGenerationRequest) -> Response:
        model = await gateway.admit("image", body.model)
        images = await gateway.client.images.generate(
            prompt=body.prompt,
            model=model,
            size=body.size,
            n=body.n,
            response_format=body.response_format or "url",
            seed=body.seed,
        )
        return _json(images)

    @router.post(
        "/v1/audio/speech",
        response_class=Response,
        responses={
            200: {"content": {"audio/mpeg": {"schema": {"type": "string", "format": "binary"}}}},
            **_errors(*_POST_ERRORS),
        },
        tags=["audio"],
        summary="Speak a text; the answer is MP3 bytes.",
    )
    async def create_speech(body: SpeechRequest) -> Response:
        model = await gateway.admit("speech", body.model)
        speech = await gateway.client.audio.speech.create(
            input=body.input,
            voice=body.voice,
            model=model,
            response_format=body.response_format,
        )
        return Response(speech.content, media_type=speech.content_type)

    @router.get(
        "/v1/models",
        response_model=ModelList,
        responses=_errors(401),
        tags=["models"],
        summary="List the chat models.",
    )
    async def list_models() -> Response:
        return Response(await gateway.models_json(), media_type=_JSON)

    @router.get(
        "/v1/models/{model}",
        response_model=Model,
        responses=_errors(401, 404),
        tags=["models"],
        summary="Describe one chat model.",
    )
    async def retrieve_model(model: str) -> Response:
        if model in gateway.model_aliases:
            [entry] = alias_entries({model: gateway.model_aliases[model]})
            return Response(to_json(entry), media_type=_JSON)
        return _json(await gateway.client.models.retrieve(model))

    return router
