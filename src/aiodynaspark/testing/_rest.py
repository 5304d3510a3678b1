"""Handlers of the REST API (``GET /api/...``) and the health page (``GET /status``)."""

import json

from aiohttp import web

from ._answers import AUDIO_MODEL, answer_for, count_words, split_pieces
from ._faults import Fault, StreamShape
from ._media import fake_mp3, image_spec, png_bytes
from ._params import BadRequest, check_api_key, parse_chat_query, parse_image_query
from ._quirks import Quirk, render_quirk
from ._replies import drop_connection, fault_reply, json_error
from ._script import ChatTurn
from ._state import ServerState
from ._streaming import stream_answer

__all__ = ["RATE_LIMIT_MESSAGE", "RestEndpoints"]

RATE_LIMIT_MESSAGE = "Rate limit exceeded. Please wait before sending more requests."
"""Error text of a 429 from the emulator's own quota."""

_STATUS_BODY = {"status": "ok", "emulator": True}


class RestEndpoints:
    """The REST handlers of one emulator.

    Args:
        state: The emulator's shared state.
    """

    def __init__(self, state: ServerState) -> None:
        self._state = state

    async def chat(self, request: web.Request) -> web.StreamResponse:
        """Answer ``GET /api/generate_response``: JSON, SSE or MP3.

        Args:
            request: The request.

        Returns:
            The answer, a fault's answer, or an error.
        """
        state = self._state
        state.remember(request, await state.arrive(request))
        fault = await state.admit()
        shape: StreamShape = "openai"
        cut_after: int | None = None
        quirk = fault if isinstance(fault, Quirk) else None
        if isinstance(fault, Fault):
            replacement = fault_reply(request, fault, can_stream=True)
            if replacement is not None:
                return replacement
            if fault.kind == "cut_stream":
                cut_after = fault.after
            elif fault.kind == "stream_shape":
                shape = fault.shape
        decision = state.take_quota()
        headers = None if decision is None else decision.headers()
        if decision is not None and not decision.allowed:
            return json_error(429, RATE_LIMIT_MESSAGE, headers)
        try:
            check_api_key(request.query, state.api_keys)
            query = parse_chat_query(request.query)
        except BadRequest as exc:
            return json_error(exc.status, str(exc), headers)
        streams = query.stream and query.model != AUDIO_MODEL
        if cut_after is not None and not streams:
            return drop_connection(request)
        if query.model == AUDIO_MODEL:
            return web.Response(
                body=fake_mp3(query.user_input, query.voice),
                content_type="audio/mpeg",
                headers=headers,
            )
        scripted = state.script.reply(
            ChatTurn("rest", query.model, query.user_input, query.system, query.json)
        )
        if scripted is not None:
            answer = scripted
        else:
            answer = answer_for(query.model, query.user_input)
            if query.json:
                answer = json.dumps({"answer": answer})
        if quirk is not None:
            quirky = await render_quirk(
                request, quirk, streams=streams, pieces=split_pieces(answer)
            )
            if quirky is not None:
                return quirky
        if streams:
            return await stream_answer(
                request,
                state,
                split_pieces(answer),
                shape=shape,
                headers=headers,
                cut_after=cut_after,
            )
        prompt_tokens = count_words(query.system) + count_words(query.user_input)
        completion_tokens = count_words(answer)
        body = {
            "response": answer,
            "model": query.model,
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        return web.json_response(body, headers=headers)

    async def image(self, request: web.Request) -> web.StreamResponse:
        """Answer ``GET /api/generate_image`` with the URL of a generated PNG.

        Args:
            request: The request.

        Returns:
            ``{"image_url", "model", "seed"}``, a fault's answer, or an error.
        """
        state = self._state
        state.remember(request, await state.arrive(request))
        fault = await state.admit()
        image_url: str | None = None
        if isinstance(fault, Quirk):
            if fault.kind == "image_url":
                image_url = fault.location
            elif quirky := await render_quirk(request, fault, streams=False, pieces=()):
                return quirky
        elif fault is not None:
            replacement = fault_reply(request, fault)
            if replacement is not None:
                return replacement
        decision = state.take_quota()
        headers = None if decision is None else decision.headers()
        if decision is not None and not decision.allowed:
            return json_error(429, RATE_LIMIT_MESSAGE, headers)
        try:
            check_api_key(request.query, state.api_keys)
            query = parse_image_query(request.query)
        except BadRequest as exc:
            return json_error(exc.status, str(exc), headers)
        token, spec = image_spec(
            query.user_input, query.model, query.seed, query.width, query.height
        )
        state.images[token] = spec
        body = {
            "image_url": image_url or f"{state.url}/images/{token}.png",
            "model": query.model,
            "seed": query.seed,
        }
        return web.json_response(body, headers=headers)

    async def image_file(self, request: web.Request) -> web.StreamResponse:
        """Serve ``GET /images/{token}.png``: a generated image (never faulted).

        Args:
            request: The request.

        Returns:
            The PNG, or 404 for a token the emulator never issued.
        """
        state = self._state
        state.remember(request, await state.arrive(request))
        spec = state.images.get(request.match_info["token"])
        if spec is None:
            return json_error(404, "Image not found or expired")
        return web.Response(body=png_bytes(spec), content_type="image/png")

    async def status(self, request: web.Request) -> web.StreamResponse:
        """Serve ``GET /status``, the health page (never faulted).

        Args:
            request: The request.

        Returns:
            ``{"status": "ok", "emulator": true}``.
        """
        state = self._state
        state.remember(request, await state.arrive(request))
        return web.json_response(_STATUS_BODY)
