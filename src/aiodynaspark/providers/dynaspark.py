"""``Dynaspark``: the web form endpoint (``POST /generate_response``) of the original module."""

import functools
import secrets
from collections.abc import AsyncGenerator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, ClassVar

import aiohttp

from .._catalog import CHAT_ALIASES, CHAT_MODELS, DEFAULT_CHAT_MODEL
from .._chat_options import WEB_OPTIONS
from .._config import BROWSER_USER_AGENT
from .._errors import InvalidRequestError, MediaError, ResponseError
from .._media import ImageUpload, load_media
from .._prompt import flatten_messages, parse_messages, plain_prompt
from .._wire._http import Request, Transport
from .._wire._response_body import json_object
from ._base import BaseProvider, ChatResult, PreparedChat, check_options

__all__ = ["Dynaspark", "WebFormChat", "encode_text_form"]

# The web form's chat keywords: its fields as declared (none besides prompt and model), and
# stream, which it honours by answering in one piece.
_WEB_KEYWORDS = frozenset({option.name for option in WEB_OPTIONS} | {"stream"})


@functools.lru_cache(maxsize=16)
def _browser_headers(base_url: str) -> dict[str, str]:
    # What the site's own page sends.
    return {
        "accept": "*/*",
        "accept-language": "en-US,en;q=0.9",
        "origin": base_url,
        "referer": base_url + "/",
        "x-requested-with": "XMLHttpRequest",
        "user-agent": BROWSER_USER_AGENT,
    }


# The web form's multipart boundary. A fixed one is safe because it is checked against the
# values (a value that holds it gets a random one), and lets the headers be built once.
_BOUNDARY = "----aiodynasparkFormBoundary0b5e9c7a4f1d"
_FORM_TYPE = f"multipart/form-data; boundary={_BOUNDARY}"


def encode_text_form(prompt: str, model: str) -> tuple[bytes, str]:
    """Encode the form without a file as ``multipart/form-data``, the way a browser does.

    Built here in one piece rather than with ``aiohttp.FormData``: its writer sends every
    boundary, header and value of the body with a separate socket write, which on a fast
    link costs more than the whole request (``python -m benchmarks``, scenario 1).

    Returns:
        The body and its ``Content-Type`` (with the boundary).
    """
    boundary = _BOUNDARY
    while boundary in prompt or boundary in model:
        boundary = "----aiodynaspark" + secrets.token_hex(16)
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="user_input"\r\n\r\n{prompt}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="ai_model"\r\n\r\n{model}\r\n'
        f"--{boundary}--\r\n"
    )
    return body.encode(), f"multipart/form-data; boundary={boundary}"


@functools.lru_cache(maxsize=16)
def _form_headers(base_url: str) -> dict[str, str]:
    return {**_browser_headers(base_url), "content-type": _FORM_TYPE}


def _form_factory(prompt: str, model: str, image: ImageUpload) -> Any:
    def build() -> aiohttp.FormData:
        form = aiohttp.FormData(default_to_multipart=True)
        form.add_field("user_input", prompt)
        form.add_field("ai_model", model)
        # A memoryview: the socket's send buffer then takes the part of the image the kernel
        # did not accept at once without first copying it into a slice (one copy, not two).
        form.add_field(
            "file", memoryview(image.data), filename=image.filename, content_type=image.content_type
        )
        return form

    return build


@dataclass(slots=True)
class WebFormChat(PreparedChat):
    """A web form request, checked: the prompt, the model and at most one image.

    Attributes:
        image: The image sent with the prompt, if any.
    """

    image: ImageUpload | None = None


def _answer(response: aiohttp.ClientResponse, raw: bytes) -> str:
    data = json_object(response, raw)
    answer = data.get("response")
    if isinstance(answer, str):
        return answer
    error = data.get("error")
    if isinstance(error, str) and error:
        raise ResponseError(f"The service answered {response.status} with an error: {error}")
    raise ResponseError(
        f"The service answered {response.status} with JSON that has no string 'response' "
        f"(keys: {', '.join(sorted(data)) or 'none'})."
    )


@functools.lru_cache(maxsize=64)
def _result_decoder(model: str) -> Callable[[aiohttp.ClientResponse, bytes], ChatResult]:
    # One decoder per model id (the catalog's handful), so no closure is built per answer.
    def decode(response: aiohttp.ClientResponse, raw: bytes) -> ChatResult:
        return ChatResult(_answer(response, raw), model)

    return decode


class Dynaspark(BaseProvider[WebFormChat]):
    """Chat with Gemini models through Dynaspark's web form, with an optional image.

    The whole conversation is flattened into one prompt (the form has no roles), at most one
    image rides along, and the answer comes whole: as a stream it is one piece.

    Example:
        >>> async for piece in Dynaspark.create_async_generator(
        ...     "gemini-2.0-flash", [{"role": "user", "content": "Hello"}]
        ... ):
        ...     print(piece)
    """

    label: ClassVar[str] = "Dynaspark"
    endpoint_path: ClassVar[str] = "/generate_response"
    working: ClassVar[bool] = True
    needs_auth: ClassVar[bool] = False
    supports_stream: ClassVar[bool] = True
    supports_system_message: ClassVar[bool] = False
    supports_message_history: ClassVar[bool] = False
    default_model: ClassVar[str] = DEFAULT_CHAT_MODEL
    default_vision_model: ClassVar[str] = DEFAULT_CHAT_MODEL
    vision_models: ClassVar[list[str]] = list(CHAT_MODELS)
    models: ClassVar[list[str]] = list(CHAT_MODELS)
    model_aliases: ClassVar[dict[str, str]] = dict(CHAT_ALIASES)

    @classmethod
    def prepare_chat(
        cls, model: str | None, messages: object, media: object, options: dict[str, Any]
    ) -> WebFormChat:
        """Check the request: model, conversation, at most one image, known options only.

        Raises:
            ModelNotSupportedError: Unknown model.
            MediaError: A bad image, or more than one.
            InvalidRequestError: A malformed conversation, no text, or an unknown keyword.
        """
        if options and not options.keys() <= _WEB_KEYWORDS:
            check_options(cls.__name__, options, _WEB_KEYWORDS)
        resolved = cls.get_model(model)
        if media is None and (prompt := plain_prompt(messages)) is not None and prompt.strip():
            return WebFormChat(resolved, prompt)  # the common case: text only, all checked
        parsed = parse_messages(messages)
        urls = [url for message in parsed for url in message.image_urls]
        images = load_media(media, urls) if media is not None or urls else []
        if len(images) > 1:
            raise MediaError(
                f"{cls.__name__} sends one image per request, and this one has {len(images)}; "
                "send them in separate requests."
            )
        prompt = flatten_messages(parsed)
        if not prompt.strip():
            raise InvalidRequestError("The conversation has no text; the service needs a prompt.")
        return WebFormChat(resolved, prompt, image=images[0] if images else None)

    @classmethod
    def complete(cls, transport: Transport, chat: WebFormChat) -> Coroutine[Any, Any, ChatResult]:
        """Post the form and return the answer (a coroutine: await it).

        The transport's coroutine is handed out as is, with a decoder that builds the
        result, rather than awaited in a coroutine of this method: one coroutine fewer on
        every web form answer, and one object fewer held while it waits.

        Raises:
            APIConnectionError, APIStatusError, ResponseError: As the transport reports.
        """
        base = transport.settings.base_url
        image = chat.image
        if image is None:
            body, content_type = encode_text_form(chat.prompt, chat.model)
            headers = (
                _form_headers(base)
                if content_type == _FORM_TYPE
                else {**_browser_headers(base), "content-type": content_type}
            )
            request = Request("POST", base + cls.endpoint_path, body, headers, chat.model)
        else:
            request = Request(
                method="POST",
                url=base + cls.endpoint_path,
                form=_form_factory(chat.prompt, chat.model, image),
                headers=_browser_headers(base),
                model=chat.model,
                image_size=len(image.data),
            )
        return transport.send(request, _result_decoder(chat.model))

    @classmethod
    async def stream_chat(
        cls, transport: Transport, chat: WebFormChat
    ) -> AsyncGenerator[str, None]:
        """Yield the answer as one piece: the web form does not stream."""
        result = await cls.complete(transport, chat)
        yield result.text
