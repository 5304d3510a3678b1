"""Request bodies in the OpenAI shapes, and the error body, as pydantic models.

The models validate what the gateway can check cheaply and document the API in
``/openapi.json``; the library checks the rest (model names, images, option combinations).
Unknown fields are ignored, as tools send many OpenAI fields Dynaspark has no use for.
"""

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..providers._params import FLOAT_RANGES

__all__ = [
    "ChatCompletionRequest",
    "ChatMessage",
    "ErrorObject",
    "ErrorResponse",
    "ImageGenerationRequest",
    "ImageURL",
    "ImageURLPart",
    "ResponseFormat",
    "SpeechRequest",
    "TextPart",
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


class _Request(BaseModel):
    # Fields Dynaspark has no counterpart for (tools, logprobs, ...) are dropped, not refused.
    model_config = ConfigDict(extra="ignore")


def _sampling(name: str, description: str) -> float | None:
    low, high = FLOAT_RANGES[name]
    default: float | None = Field(default=None, ge=low, le=high, description=description)
    return default


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


class ChatMessage(_Request):
    """One message of the conversation."""

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Text | list[ContentPart] | None = None
    name: str | None = Field(default=None, description="Ignored.")


class ResponseFormat(_Request):
    """``{"type": "json_object"}`` asks for a JSON answer."""

    type: Literal["text", "json_object"]


class ChatCompletionRequest(_Request):
    """``POST /v1/chat/completions``.

    ``provider`` and ``system`` are not OpenAI fields: ``provider`` picks the Dynaspark
    endpoint (``auto``, ``web``, ``api``, or a list to fall back along), ``system`` sets the
    system prompt directly.
    """

    model: Text | None = Field(
        default=None, description="A model id or alias; default gemini-1.5-flash."
    )
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool | None = False
    temperature: float | None = _sampling("temperature", "Sampling temperature.")
    top_p: float | None = _sampling("top_p", "Nucleus sampling.")
    presence_penalty: float | None = _sampling("presence_penalty", "Presence penalty.")
    frequency_penalty: float | None = _sampling("frequency_penalty", "Frequency penalty.")
    seed: int | None = None
    response_format: ResponseFormat | None = None
    n: Literal[1] | None = Field(default=None, description="Only 1: the service gives one answer.")
    provider: Text | list[Text] | None = Field(
        default=None, description="Not OpenAI: auto (default), web, api, or a fallback list."
    )
    system: Text | None = Field(default=None, description="Not OpenAI: the system prompt.")
    # Accepted and ignored: tools send them by default.
    max_tokens: int | None = Field(default=None, description="Ignored.")
    max_completion_tokens: int | None = Field(default=None, description="Ignored.")
    stop: str | list[str] | None = Field(default=None, description="Ignored.")
    user: str | None = Field(default=None, description="Ignored.")
    stream_options: dict[str, object] | None = Field(default=None, description="Ignored.")


class ImageGenerationRequest(_Request):
    """``POST /v1/images/generations``."""

    prompt: Text = Field(min_length=1)
    model: Text | None = Field(default=None, description="flux (default), turbo or gptimage.")
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
        default=None, description="alloy (default), echo, fable, onyx, nova or shimmer."
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
