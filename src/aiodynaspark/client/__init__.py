"""The OpenAI-style clients and their response objects."""

from ._async import AsyncClient, AsyncStream
from ._models import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessage,
    Choice,
    ChoiceDelta,
    ChunkChoice,
    CompletionUsage,
    Image,
    ImagesResponse,
    Model,
    ModelList,
    SpeechResponse,
)
from ._sync import Client, Stream

__all__ = [
    "AsyncClient",
    "AsyncStream",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionMessage",
    "Choice",
    "ChoiceDelta",
    "ChunkChoice",
    "Client",
    "CompletionUsage",
    "Image",
    "ImagesResponse",
    "Model",
    "ModelList",
    "SpeechResponse",
    "Stream",
]
