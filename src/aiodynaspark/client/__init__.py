"""The OpenAI-style clients and their response objects."""

from ._async import AsyncClient, AsyncStream
from ._models import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessage,
    ChatCompletionMessageToolCall,
    Choice,
    ChoiceDelta,
    ChoiceDeltaToolCall,
    ChoiceDeltaToolCallFunction,
    ChunkChoice,
    CompletionUsage,
    Function,
    Image,
    ImagesResponse,
    Model,
    ModelList,
    ServiceStatus,
    SpeechResponse,
)
from ._parsed import ParsedChatCompletion, ParsedChatCompletionMessage, ParsedChoice
from ._sync_client import Client, Stream

__all__ = [
    "AsyncClient",
    "AsyncStream",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionMessage",
    "ChatCompletionMessageToolCall",
    "Choice",
    "ChoiceDelta",
    "ChoiceDeltaToolCall",
    "ChoiceDeltaToolCallFunction",
    "ChunkChoice",
    "Client",
    "CompletionUsage",
    "Function",
    "Image",
    "ImagesResponse",
    "Model",
    "ModelList",
    "ParsedChatCompletion",
    "ParsedChatCompletionMessage",
    "ParsedChoice",
    "ServiceStatus",
    "SpeechResponse",
    "Stream",
]
