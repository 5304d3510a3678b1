"""Handler of the web form endpoint ``POST /generate_response``, the one the site's page uses."""

import json

from aiohttp import BodyPartReader, web

from ._answers import WEB_MODELS, answer_for, detect_image_kind
from ._params import BadRequest, require_prompt
from ._quirks import Quirk, browser_headers_missing, render_quirk
from ._records import UploadedFile
from ._replies import HTML_TYPE, fault_reply, json_error
from ._rest import RATE_LIMIT_MESSAGE
from ._script import ChatTurn
from ._state import ServerState

__all__ = ["MAX_BODY_SIZE", "WebFormEndpoint", "read_form"]

MAX_BODY_SIZE = 64 * 1024 * 1024
"""Largest accepted request body or file: well above a 20 MB image."""

_MULTIPART = "multipart/form-data"
_URLENCODED = "application/x-www-form-urlencoded"
_CHUNK = 256 * 1024
_WEB_MODELS = frozenset(WEB_MODELS)


async def _read_part(part: BodyPartReader, limit: int) -> bytes:
    """Read one part, chunk by chunk, refusing more than ``limit`` bytes."""
    data = bytearray()
    while chunk := await part.read_chunk(_CHUNK):
        data += chunk
        if len(data) > limit:
            raise BadRequest(f"Request body too large (limit {limit} bytes)", status=413)
    return bytes(data)


async def read_form(
    request: web.Request, limit: int = MAX_BODY_SIZE
) -> tuple[dict[str, str], UploadedFile | None]:
    """Read the text fields and the file of a form body.

    Multipart bodies are streamed part by part (no temporary files); a part
    with a file name, or named ``file``, is the file. A browser's empty file
    part (no name, no bytes) counts as no file.

    Args:
        request: The request.
        limit: The most bytes accepted for one part.

    Returns:
        The text fields and the file (``None`` when none came).

    Raises:
        BadRequest: The body is not a form, is malformed, carries two files
            or is too large.
    """
    if request.content_type == _URLENCODED:
        posted = await request.post()
        return {name: value for name, value in posted.items() if isinstance(value, str)}, None
    if request.content_type != _MULTIPART:
        raise BadRequest(f"Expected a {_MULTIPART} or {_URLENCODED} body")
    form: dict[str, str] = {}
    file: UploadedFile | None = None
    try:
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                raise BadRequest("Nested multipart bodies are not supported")
            name = part.name or ""
            if part.filename is None and name != "file":
                form[name] = (await _read_part(part, limit)).decode(part.get_charset("utf-8"))
                continue
            data = await _read_part(part, limit)
            if not data and not part.filename:
                continue
            if file is not None:
                raise BadRequest("Only one file may be sent")
            content_type = part.headers.get("Content-Type", "application/octet-stream")
            file = UploadedFile(name, part.filename or "", content_type, data)
    except (ValueError, LookupError) as exc:  # malformed multipart, unknown charset
        raise BadRequest(f"Malformed {_MULTIPART} body: {exc}") from None
    return form, file


class WebFormEndpoint:
    """The web form handler of one emulator.

    Args:
        state: The emulator's shared state.
    """

    def __init__(self, state: ServerState) -> None:
        self._state = state

    async def generate(self, request: web.Request) -> web.StreamResponse:
        """Answer ``POST /generate_response``: ``{"response": answer}`` as text/html.

        Args:
            request: The request.

        Returns:
            The answer, a fault's answer, or an error.
        """
        state = self._state
        arrival = await state.arrive(request)
        problem: BadRequest | None = None
        try:
            form, file = await read_form(request)
        except BadRequest as exc:
            form, file, problem = {}, None, exc
        state.remember(request, arrival, form, file)
        fault = await state.admit()
        if state.require_browser_headers and (
            missing := browser_headers_missing(request, state.url)
        ):
            return json_error(403, f"Forbidden: request without the site's {missing} header")
        if isinstance(fault, Quirk):
            try:
                pieces: tuple[str, ...] = (_answer(form, file),) if problem is None else ()
            except BadRequest:
                pieces = ()
            quirky = await render_quirk(
                request, fault, streams=False, pieces=pieces, json_type=HTML_TYPE
            )
            if quirky is not None:
                return quirky
        elif fault is not None:
            replacement = fault_reply(request, fault, json_type=HTML_TYPE)
            if replacement is not None:
                return replacement
        decision = state.take_quota()
        headers = None if decision is None else decision.headers()
        if decision is not None and not decision.allowed:
            return json_error(429, RATE_LIMIT_MESSAGE, headers)
        if problem is not None:
            return json_error(problem.status, str(problem), headers)
        try:
            answer = _answer(form, file)
        except BadRequest as exc:
            return json_error(exc.status, str(exc), headers)
        scripted = state.script.reply(ChatTurn("web", form["ai_model"], form["user_input"]))
        if scripted is not None:
            answer = scripted
        # The form answers whole: held, it sends nothing until released.
        await state.wait_released()
        return web.Response(
            text=json.dumps({"response": answer}), content_type=HTML_TYPE, headers=headers
        )


def _answer(form: dict[str, str], file: UploadedFile | None) -> str:
    """Validate the form's fields and compute the answer."""
    prompt = require_prompt(form.get("user_input"))
    model = form.get("ai_model")
    if not model:
        raise BadRequest("Missing required parameter: ai_model")
    if model not in _WEB_MODELS:
        raise BadRequest(f"Invalid model: {model}")
    if file is None:
        return answer_for(model, prompt)
    if detect_image_kind(file.data) is None:
        raise BadRequest("Invalid file: only JPEG, PNG, GIF and WEBP images are accepted")
    return answer_for(model, prompt, file.data)
