"""Request bodies in the OpenAI shapes, and the error body, as pydantic models.

The models validate what the gateway can check cheaply and document the API in
``/openapi.json``; the library checks the rest (model names, images, option combinations).
Unknown fields are ignored, as tools send many OpenAI fields Dynaspark has no use for.
"""

import inspect
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from ..._catalog import DEFAULT_CHAT_MODEL, DEFAULT_IMAGE_MODEL, DEFAULT_VOICE, IMAGE_MODELS, VOICES
from ..._chat_options import CHAT_OPTIONS, Api, ChatOption, unhonoured_fields

__all__ = [
    "BUILT_AT_FIRST_USE",
    "ChatCompletionCore",
    "ChatCompletionRequest",
    "ChatMessage",
    "ErrorObject",
    "ErrorResponse",
    "FunctionCall",
    "ImageGenerationRequest",
    "ImageURL",
    "ImageURLPart",
    "MessageToolCall",
    "SpeechRequest",
    "TextPart",
    "build_at_first_use",
    "unhonoured_schema_fields",
]


def _unicode_text(value: str) -> str:
    # JSON can carry lone surrogates ("\ud800"); they cannot be encoded to send upstream.
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("the text is not valid Unicode (it holds a lone surrogate)") from None
    return value


Text = Annotated[str, AfterValidator(_unicode_text)]
"""A string that can be sent on: valid Unicode, no lone surrogates."""


BUILT_AT_FIRST_USE = ConfigDict(extra="ignore", defer_build=True)
"""The settings of a body model built at its route's first request, not at import.

The Responses and Messages APIs' models: their validators and serializers are about 0.5 MiB
that a gateway which only chats would hold all its life. Their routes call
:func:`build_at_first_use` in a worker thread before the first validation
(``core/_routing.py``): built on the event loop, a first request would stall every request in
flight for the build.
"""


def build_at_first_use(model: type[BaseModel]) -> None:
    """Build ``model`` and every model of its module that waits for its first use.

    The whole module at once: its models are used together, by the code of one API, and none
    is then built on the event loop by a use of its own (a part constructed or dumped alone).
    Each is marked built, so an adapter of it (FastAPI's body field) is built at once too,
    not at its first validation. Callers hold a lock: one build at a time.
    """
    for value in list(vars(sys.modules[model.__module__]).values()):
        if not (inspect.isclass(value) and issubclass(value, BaseModel)):
            continue
        if value.model_config.get("defer_build"):
            if not value.__pydantic_complete__:
                value.model_rebuild()
            value.model_config = {**value.model_config, "defer_build": False}


class _Request(BaseModel):
    # Fields Dynaspark has no counterpart for (tools, logprobs, ...) are dropped, not refused.
    model_config = ConfigDict(extra="ignore")


class TextPart(_Request):
    """A text content part."""

    type: Literal["text"]
    text: Text


class ImageURL(_Request):
    """Where an image part's bytes are: a ``data:image/...;base64,`` URI."""

    url: Text = Field(
        description="A data:image/...;base64, URI. http(s) URLs are refused unless the "
        "gateway runs with allow_remote_images."
    )
    detail: Literal["auto", "low", "high"] | None = Field(default=None, description="Ignored.")


class ImageURLPart(_Request):
    """An image content part; one image per request."""

    type: Literal["image_url"]
    image_url: ImageURL


ContentPart = Annotated[TextPart | ImageURLPart, Field(discriminator="type")]


class FunctionCall(_Request):
    """The function an assistant's tool call called, and its arguments as JSON text."""

    name: Text
    arguments: Text = "{}"


class MessageToolCall(_Request):
    """One tool call of an earlier assistant turn."""

    id: Text
    type: Literal["function"] = "function"
    function: FunctionCall


class ChatMessage(_Request):
    """One message of the conversation."""

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Text | list[ContentPart] | None = None
    name: str | None = Field(default=None, description="Ignored.")
    tool_calls: list[MessageToolCall] | None = Field(
        default=None, description="An assistant turn's tool calls, sent back by an agent loop."
    )
    tool_call_id: Text | None = Field(
        default=None, description="A tool message: the id of the call it answers."
    )


class ChatCompletionCore(_Request):
    """The fields of ``POST /v1/chat/completions`` besides the declared options."""

    model: Text | None = Field(
        default=None, description=f"A model id or alias; default {DEFAULT_CHAT_MODEL}."
    )
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool | None = False
    provider: Text | list[Text] | None = Field(
        default=None, description="Not OpenAI: auto (default), web, api, or a fallback list."
    )


def _refusal(option: ChatOption) -> Callable[[object], object]:
    def refuse(value: object) -> object:
        if not option.refuses(value):
            return value
        raise ValueError(f"this gateway cannot honour it. {option.doc}")

    return refuse


def _option_field(option: ChatOption) -> tuple[Any, Any]:
    if option.gateway == "refuse":
        # Declared so that a value is refused (400) with the reason, not dropped as unknown
        # fields are; the values that ask for nothing missing pass.
        refused = Annotated[Any, AfterValidator(_refusal(option))]
        return refused, Field(default=None, description=f"Refused by this gateway. {option.doc}")
    # A plain string must be sendable; the other types validate as the client reads them.
    kind = Text if option.type is str else option.type
    description = option.doc if option.openai else f"Not OpenAI: {option.doc}"
    if option.gateway == "ignore":
        description = f"Ignored. {description}"
    field = Field(default=None, ge=option.low, le=option.high, description=description)
    return kind | None, field


def unhonoured_schema_fields(api: Api) -> dict[str, Any]:
    """The pydantic fields of what ``api`` receives and ignores or refuses, for ``create_model``.

    Each is declared from ``_chat_options.py``, so ``/openapi.json`` lists it with what the
    gateway does, a refused value gets 400 with the reason, and an ignored one is seen (to
    be named in the answer's ``x-aiodynaspark-ignored-params`` header).
    """
    return {option.name: _option_field(option) for option in unhonoured_fields(api)}


if TYPE_CHECKING:

    class ChatCompletionRequest(ChatCompletionCore):
        """``POST /v1/chat/completions``: the core fields and every declared chat option."""

else:
    ChatCompletionRequest = create_model(
        "ChatCompletionRequest",
        __base__=ChatCompletionCore,
        __doc__="``POST /v1/chat/completions``.\n\n``provider`` and ``system`` are not "
        "OpenAI fields: ``provider`` picks the Dynaspark endpoint (``auto``, ``web``, "
        "``api``, or a list to fall back along), ``system`` sets the system prompt directly.",
        **{option.name: _option_field(option) for option in CHAT_OPTIONS if option.client}
        | unhonoured_schema_fields("chat"),
    )


class ImageGenerationRequest(_Request):
    """``POST /v1/images/generations``."""

    prompt: Text = Field(min_length=1)
    model: Text | None = Field(
        default=None,
        description=f"{DEFAULT_IMAGE_MODEL} (default); one of {', '.join(IMAGE_MODELS)}.",
    )
    n: Literal[1] | None = Field(default=None, description="Only 1.")
    size: Text | None = Field(default=None, description="WIDTHxHEIGHT, each 64-2048.")
    response_format: Literal["url", "b64_json"] | None = Field(
        default="url", description="url (valid about 24 hours, OpenAI's default) or b64_json."
    )
    seed: int | None = None
    quality: str | None = Field(default=None, description="Ignored.")
    style: str | None = Field(default=None, description="Ignored.")
    user: str | None = Field(default=None, description="Ignored.")


class SpeechRequest(_Request):
    """``POST /v1/audio/speech``: the answer is MP3 bytes."""

    input: Text = Field(min_length=1)
    model: Text | None = Field(
        default=None, description="openai-audio; tts-1, tts-1-hd, gpt-4o-mini-tts mean the same."
    )
    voice: Text | None = Field(
        default=None, description=f"{DEFAULT_VOICE} (default); one of {', '.join(VOICES)}."
    )
    response_format: Literal["mp3"] | None = None
    speed: float | None = Field(default=None, description="Ignored.")
    instructions: str | None = Field(default=None, description="Ignored.")


class ErrorObject(BaseModel):
    """What went wrong, as OpenAI describes errors."""

    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    """The body of every error answer."""

    error: ErrorObject
