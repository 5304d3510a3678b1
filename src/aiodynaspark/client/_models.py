"""Response objects in the OpenAI shapes, with the OpenAI field names."""

import time
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from .._ids import new_id

__all__ = [
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionMessage",
    "ChatCompletionMessageToolCall",
    "Choice",
    "ChoiceDelta",
    "ChoiceDeltaToolCall",
    "ChoiceDeltaToolCallFunction",
    "ChunkChoice",
    "CompletionUsage",
    "FinishReason",
    "Function",
    "Image",
    "ImagesResponse",
    "Model",
    "ModelList",
    "ServiceStatus",
    "SpeechResponse",
    "new_completion_id",
    "plain_chunk",
    "plain_completion",
]


def new_completion_id() -> str:
    """A fresh id in OpenAI's form, ``chatcmpl-`` and 32 hex digits from :mod:`secrets`."""
    return new_id("chatcmpl-")


FinishReason = Literal["stop", "length", "tool_calls", "content_filter"]
"""Why an answer ended: naturally or at a stop sequence, at ``max_tokens``, with tool calls."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=False)


class CompletionUsage(_Model):
    """Token counts: the service's when it reports them, else the client's estimate.

    The estimate (``docs/tools.md``): a quarter token per ASCII character, a token per other
    character, over every message sent and every answer received (a repair round included).
    """

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class Function(_Model):
    """The function a tool call calls, and its arguments as JSON text."""

    name: str
    arguments: str


class ChatCompletionMessageToolCall(_Model):
    """One tool call of an answer: ``{"id": "call_...", "type": "function", "function"}``."""

    id: str
    type: Literal["function"] = "function"
    function: Function


class ChatCompletionMessage(_Model):
    """The answer's message: ``role`` is always ``assistant``."""

    role: Literal["assistant"] = "assistant"
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ChatCompletionMessageToolCall] | None = None


class Choice(_Model):
    """One choice of a completion (the service gives exactly one)."""

    index: int = 0
    message: ChatCompletionMessage
    finish_reason: FinishReason = "stop"


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
    dropped_params: list[str] | None = None
    """The options left out because the conversation was too long for the REST API's URL
    and went by the web form (``["temperature", "seed"]``); ``None`` when none was (not an
    OpenAI field)."""


# The slots pydantic keeps beside a model's fields, set through their descriptors: what
# model_construct does, at a quarter of a slot's cost through object.__setattr__.
_new_object = object.__new__
_set_fields = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__

_ModelT = TypeVar("_ModelT", bound=BaseModel)


def _constructed(cls: type[_ModelT], fields: dict[str, Any], given: set[str]) -> _ModelT:
    """A model from values of the right types, unchecked, as ``model_construct`` builds it.

    Args:
        fields: Every field of ``cls``, in declaration order, defaults included.
        given: The fields set explicitly (``model_fields_set``).
    """
    model = _new_object(cls)
    _set_fields(model, fields)
    _set_fields_set(model, given)
    _set_extra(model, {})
    _set_private(model, None)
    return model


_USAGE_FIELDS = frozenset(CompletionUsage.model_fields)
_COMPLETION_GIVEN = frozenset({"id", "created", "model", "choices", "usage", "provider"})


def plain_completion(
    model: str,
    text: str,
    usage: dict[str, int],
    provider: str,
    dropped_params: list[str] | None = None,
) -> ChatCompletion:
    """The completion of a plain answer: text, usage and names the library itself read.

    Every value is already of its field's type (the answer's text was checked to be a
    string, the usage's counts to be whole numbers), so the four models are built as
    ``model_construct`` would build them, without validating again: equal, field for field
    and in ``model_fields_set``, to ``ChatCompletion.model_validate`` of the same data, for
    about 6,000 fewer instructions on every answer (``python -m benchmarks.instructions``).
    """
    message = _constructed(
        ChatCompletionMessage,
        {"role": "assistant", "content": text, "refusal": None, "tool_calls": None},
        {"content"},
    )
    choice = _constructed(
        Choice, {"index": 0, "message": message, "finish_reason": "stop"}, {"message"}
    )
    counts = _constructed(
        CompletionUsage,
        {
            "prompt_tokens": usage["prompt_tokens"],
            "completion_tokens": usage["completion_tokens"],
            "total_tokens": usage["total_tokens"],
        },
        set(_USAGE_FIELDS),
    )
    given = set(_COMPLETION_GIVEN)
    if dropped_params is not None:
        given.add("dropped_params")
    return _constructed(
        ChatCompletion,
        {
            "id": new_completion_id(),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [choice],
            "usage": counts,
            "provider": provider,
            "dropped_params": dropped_params,
        },
        given,
    )


class _Sparse(_Model):
    """A delta part whose unset fields are left out of its JSON, not sent as ``null``.

    OpenAI's clients merge tool-call deltas key by key, and a ``"type": null`` in a later
    delta would replace the ``"function"`` of the first (openai-python asserts on it).
    """

    @model_serializer(mode="wrap")
    def _without_nulls(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {key: value for key, value in data.items() if value is not None}


class ChoiceDeltaToolCallFunction(_Sparse):
    """What a chunk adds to a tool call's function: its name first, then its arguments."""

    name: str | None = None
    arguments: str | None = None


class ChoiceDeltaToolCall(_Sparse):
    """What a chunk adds to the tool call at ``index``; ``id`` and ``type`` come first."""

    index: int
    id: str | None = None
    type: Literal["function"] | None = None
    function: ChoiceDeltaToolCallFunction | None = None


class ChoiceDelta(_Model):
    """What one chunk adds: the role on the first chunk, then content or tool calls."""

    role: Literal["assistant"] | None = None
    content: str | None = None
    tool_calls: list[ChoiceDeltaToolCall] | None = None


class ChunkChoice(_Model):
    """One choice of a streamed chunk."""

    index: int = 0
    delta: ChoiceDelta
    finish_reason: FinishReason | None = None


class ChatCompletionChunk(_Model):
    """One piece of a streamed completion; the last choice has a ``finish_reason``."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: CompletionUsage | None = None
    """Only on the last chunk, whose ``choices`` is empty, with ``stream_options.include_usage``."""
    provider: str | None = None


_CHUNK_GIVEN = frozenset({"id", "created", "model", "choices", "provider"})
_PIECE_GIVEN = frozenset({"role", "content"})


def plain_chunk(
    completion_id: str, created: int, model: str, provider: str, role: str | None, piece: str | None
) -> ChatCompletionChunk:
    """A chunk of a plain stream: a piece (the role with the first), or with ``piece`` ``None``
    the last chunk, an empty delta and ``finish_reason="stop"``.

    Built as :func:`plain_completion` builds a completion, from values the library made
    itself (the pieces are the providers' strings): equal, ``model_fields_set`` included, to
    validating ``{"id", "created", "model", "choices": [{"delta": {"role", "content"}}],
    "provider"}``, for a fifth fewer instructions on every chunk.
    """
    if piece is None:
        delta = _constructed(
            ChoiceDelta, {"role": None, "content": None, "tool_calls": None}, set()
        )
        choice = _constructed(
            ChunkChoice,
            {"index": 0, "delta": delta, "finish_reason": "stop"},
            {"delta", "finish_reason"},
        )
    else:
        delta = _constructed(
            ChoiceDelta, {"role": role, "content": piece, "tool_calls": None}, set(_PIECE_GIVEN)
        )
        choice = _constructed(
            ChunkChoice, {"index": 0, "delta": delta, "finish_reason": None}, {"delta"}
        )
    return _constructed(
        ChatCompletionChunk,
        {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [choice],
            "usage": None,
            "provider": provider,
        },
        set(_CHUNK_GIVEN),
    )


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


class ServiceStatus(_Model):
    """The host's answer to ``GET /status``, as ``client.status()`` returns it: it is up.

    Attributes:
        status_code: The HTTP status of the answer (2xx).
        elapsed: Seconds from sending the request to reading the whole answer.
    """

    status_code: int
    elapsed: float


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
