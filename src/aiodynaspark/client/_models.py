"""Response objects in the OpenAI shapes, with the OpenAI field names."""

import random
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionMessage",
    "Choice",
    "ChoiceDelta",
    "ChunkChoice",
    "CompletionUsage",
    "Image",
    "ImagesResponse",
    "Model",
    "ModelList",
    "SpeechResponse",
    "new_completion_id",
]


def new_completion_id() -> str:
    """A fresh id in OpenAI's form, ``chatcmpl-`` and 24 hex digits."""
    # An id needs to be unique, not secret: the random module draws it without the system
    # call that secrets (os.urandom) makes for every completion.
    return f"chatcmpl-{random.getrandbits(96):024x}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=False)


class CompletionUsage(_Model):
    """Token counts, when the service reports them."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletionMessage(_Model):
    """The answer's message: ``role`` is always ``assistant``."""

    role: Literal["assistant"] = "assistant"
    content: str | None = None


class Choice(_Model):
    """One choice of a completion (the service gives exactly one)."""

    index: int = 0
    message: ChatCompletionMessage
    finish_reason: Literal["stop", "length", "content_filter"] | None = "stop"


class ChatCompletion(_Model):
    """A whole chat completion, as ``client.chat.completions.create`` returns it."""

    id: str = Field(default_factory=new_completion_id)
    object: Literal["chat.completion"] = "chat.completion"
    created: int = Field(default_factory=lambda: int(time.time()))
    model: str
    choices: list[Choice]
    usage: CompletionUsage | None = None
    provider: str | None = None
    """Which provider answered: ``Dynaspark`` or ``DynasparkAPI`` (not an OpenAI field)."""


class ChoiceDelta(_Model):
    """What one chunk adds: the role on the first chunk, then content."""

    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(_Model):
    """One choice of a streamed chunk."""

    index: int = 0
    delta: ChoiceDelta
    finish_reason: Literal["stop", "length", "content_filter"] | None = None


class ChatCompletionChunk(_Model):
    """One piece of a streamed completion; the last one has ``finish_reason == "stop"``."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    provider: str | None = None


class Image(_Model):
    """One generated image: its URL, or its base64 bytes with ``response_format="b64_json"``."""

    url: str | None = None
    b64_json: str | None = None
    revised_prompt: str | None = None
    seed: int | None = None


class ImagesResponse(_Model):
    """The answer of ``client.images.generate``."""

    created: int = Field(default_factory=lambda: int(time.time()))
    data: list[Image]


class Model(_Model):
    """One model id as ``client.models.list`` gives it."""

    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "dynaspark"


class ModelList(_Model):
    """The list of model ids the service accepts for chat."""

    object: Literal["list"] = "list"
    data: list[Model]


class SpeechResponse:
    """Spoken audio, as ``client.audio.speech.create`` returns it.

    Attributes:
        content: The MP3 bytes.
        content_type: ``audio/mpeg``.
    """

    def __init__(self, content: bytes, content_type: str = "audio/mpeg") -> None:
        self.content = content
        self.content_type = content_type

    def write_to_file(self, path: str | Path) -> None:
        """Write the audio to ``path``."""
        Path(path).write_bytes(self.content)

    def __repr__(self) -> str:
        return f"SpeechResponse({len(self.content)} bytes, {self.content_type})"
