"""Messages, content parts and image inputs, as the public API accepts them."""

import os
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, Literal, NotRequired, TypeAlias, TypedDict

from typing_extensions import TypedDict as TypedDictX

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage
else:  # Pillow is optional (extra `images`); the alias only matters to type checkers.
    PILImage = Any

__all__ = [
    "ChatTool",
    "ContentPart",
    "FunctionDefinition",
    "ImageInput",
    "ImagePart",
    "ImageURL",
    "JSONSchema",
    "JSONSchemaFormat",
    "MediaItem",
    "MediaList",
    "Message",
    "Messages",
    "NamedFunction",
    "NamedToolChoice",
    "ParseOptions",
    "ResponseFormat",
    "Role",
    "StreamOptions",
    "TextPart",
    "ToolChoice",
]

Role: TypeAlias = Literal["system", "developer", "user", "assistant", "tool"]


class ImageURL(TypedDict):
    """The ``image_url`` object of an OpenAI image part."""

    url: str
    detail: NotRequired[str]


class TextPart(TypedDict):
    """An OpenAI text content part: ``{"type": "text", "text": ...}``."""

    type: Literal["text"]
    text: str


class ImagePart(TypedDict):
    """An OpenAI image content part; its URL must be a ``data:image/...;base64,`` URI."""

    type: Literal["image_url"]
    image_url: ImageURL


ContentPart: TypeAlias = TextPart | ImagePart


class Message(TypedDict):
    """One chat message in the OpenAI shape."""

    role: Role
    content: str | list[ContentPart] | None


# Messages are read leniently (any mapping with `role` and `content`), so dicts built by
# hand or by other libraries type-check without casts.
Messages: TypeAlias = Sequence[Message] | Sequence[Mapping[str, Any]]

ImageInput: TypeAlias = (
    bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes] | PILImage
)
"""One image: raw bytes, a path, a ``data:`` URI, an open binary file, or a PIL image."""

MediaItem: TypeAlias = ImageInput | tuple[ImageInput, str | None]
"""An image alone, or paired with a file name to send it under."""

MediaList: TypeAlias = Sequence[MediaItem]
"""The ``media`` argument: images, each alone or with a file name."""


# typing_extensions' TypedDict: pydantic (the gateway's request schema) reads only that one
# on Python 3.11.
class ResponseFormat(TypedDictX):
    """``response_format``: ``{"type": "json_object"}`` asks for a JSON answer."""

    type: Literal["text", "json_object"]


class FunctionDefinition(TypedDictX):
    """A function the model may call: its name, what it does, its arguments' JSON schema."""

    name: str
    description: NotRequired[str]
    parameters: NotRequired[dict[str, Any]]
    strict: NotRequired[bool | None]


class ChatTool(TypedDictX):
    """One entry of ``tools``: ``{"type": "function", "function": {...}}``."""

    type: Literal["function"]
    function: FunctionDefinition


class NamedFunction(TypedDictX):
    """The function a named ``tool_choice`` requires."""

    name: str


class NamedToolChoice(TypedDictX):
    """``{"type": "function", "function": {"name": ...}}``: this tool must be called."""

    type: Literal["function"]
    function: NamedFunction


ToolChoice: TypeAlias = Literal["none", "auto", "required"] | NamedToolChoice
"""``tool_choice``: no tool, the model's choice, at least one tool, or the named one."""


class JSONSchema(TypedDictX):
    """The schema of a structured answer: its name and the JSON schema it follows."""

    name: str
    description: NotRequired[str]
    schema: NotRequired[dict[str, Any]]
    strict: NotRequired[bool | None]


class JSONSchemaFormat(TypedDictX):
    """``response_format`` for a structured answer: ``{"type": "json_schema", ...}``."""

    type: Literal["json_schema"]
    json_schema: JSONSchema


class StreamOptions(TypedDictX):
    """``stream_options``: ``{"include_usage": true}`` ends a stream with a usage chunk."""

    include_usage: NotRequired[bool]


class ParseOptions(TypedDictX, total=False):
    """The options ``parse`` takes: those of ``create`` but ``stream`` and
    ``response_format``, which ``parse`` decides."""

    temperature: float | None
    top_p: float | None
    presence_penalty: float | None
    frequency_penalty: float | None
    seed: int | None
    system: str | None
    private: bool | None
    referrer: str | None
    n: int | None
    tools: list[ChatTool] | None
    tool_choice: ToolChoice | None
    parallel_tool_calls: bool | None
    stop: str | list[str] | None
    truncation: Literal["auto", "disabled"] | None
    max_tokens: int | None
    max_completion_tokens: int | None
    stream_options: StreamOptions | None
    user: str | None
    logprobs: bool | None
    store: bool | None
