"""The OpenAI-style clients and their response objects."""

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    # The blocking client (its loop thread and resources) is loaded when first named: the
    # gateway, which serves from AsyncClient alone, then never holds it.
    if name in ("Client", "Stream"):
        from . import _sync_client

        return getattr(_sync_client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
