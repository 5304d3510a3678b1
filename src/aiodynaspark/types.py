"""Types of the public API's arguments, for annotating code that calls aiodynaspark."""

from ._types import (
    ContentPart,
    ImageInput,
    ImagePart,
    ImageURL,
    MediaItem,
    MediaList,
    Message,
    Messages,
    ResponseFormat,
    Role,
    TextPart,
)

__all__ = [
    "ContentPart",
    "ImageInput",
    "ImagePart",
    "ImageURL",
    "MediaItem",
    "MediaList",
    "Message",
    "Messages",
    "ResponseFormat",
    "Role",
    "TextPart",
]
