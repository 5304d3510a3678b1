"""The body of ``POST /v1/messages`` in Anthropic's Messages shape, as pydantic models.

Content blocks the gateway can play are modelled (``text``, ``image``, ``tool_use``,
``tool_result``); others (documents, thinking, server tools) fail validation by their type.
Fields with no counterpart here are declared in ``_chat_options.py``: ignored (``top_k``,
``metadata``, ``thinking``) and named in the answer's header, or refused (``thread``).
"""

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field, create_model

from ..._chat_options import OPTIONS_BY_NAME
from ..core._schemas import BUILT_AT_FIRST_USE, Text, unhonoured_schema_fields

__all__ = [
    "ImageBlock",
    "JSONOutputFormat",
    "MessageParam",
    "MessagesRequest",
    "OutputConfig",
    "TextBlock",
    "Tool",
    "ToolChoice",
    "ToolResultBlock",
    "ToolUseBlock",
]


class _Body(BaseModel):
    model_config = BUILT_AT_FIRST_USE


class TextBlock(_Body):
    """A ``text`` block."""

    type: Literal["text"]
    text: Text


class Base64Source(_Body):
    """Image bytes inline: ``{"type": "base64", "media_type", "data"}``."""

    type: Literal["base64"]
    media_type: Text
    data: Text


class URLSource(_Body):
    """An image by URL (fetched only when the gateway allows remote images)."""

    type: Literal["url"]
    url: Text


class ImageBlock(_Body):
    """An ``image`` block."""

    type: Literal["image"]
    source: Annotated[Base64Source | URLSource, Field(discriminator="type")]


class ToolUseBlock(_Body):
    """A tool call the assistant made earlier."""

    type: Literal["tool_use"]
    id: Text
    name: Text
    input: dict[str, Any]


class ToolResultBlock(_Body):
    """The result of a tool call, in a user message."""

    type: Literal["tool_result"]
    tool_use_id: Text
    content: Text | list[TextBlock] | None = None
    is_error: bool | None = None


ContentBlock = Annotated[
    TextBlock | ImageBlock | ToolUseBlock | ToolResultBlock, Field(discriminator="type")
]


class MessageParam(_Body):
    """One turn: ``user`` or ``assistant``, content a string or blocks."""

    role: Literal["user", "assistant"]
    content: Text | list[ContentBlock]


class Tool(_Body):
    """A client tool: its name, description and the JSON schema of its input."""

    name: Text = Field(min_length=1, max_length=128)
    description: Text | None = None
    input_schema: dict[str, Any]
    type: Literal["custom"] | None = None


class ToolChoice(_Body):
    """``auto``, ``any`` (some tool), ``tool`` (the named one) or ``none``."""

    type: Literal["auto", "any", "tool", "none"]
    name: Text | None = None
    disable_parallel_tool_use: bool | None = None


class JSONOutputFormat(_Body):
    """``output_config.format``: the answer is one JSON value of this schema."""

    type: Literal["json_schema"]
    schema_: dict[str, Any] = Field(alias="schema")


class OutputConfig(_Body):
    """``output_config``: the answer's format, and the effort (ignored)."""

    format: JSONOutputFormat | None = Field(
        default=None,
        description="Emulated as chat's json_schema response format: asked by instruction, "
        "checked against the schema, repaired once.",
    )
    effort: str | None = Field(default=None, description="Ignored: the models take no effort.")


def _sampling(name: str, high: float | None = None) -> float | None:
    option = OPTIONS_BY_NAME[name]
    top = option.high if high is None else high
    field: float | None = Field(default=None, ge=option.low, le=top, description=option.doc)
    return field


class MessagesRequestFields(_Body):
    """The modelled fields of ``MessagesRequest``."""

    model: Text | None = Field(
        default=None, description="A model id or alias; default gemini-1.5-flash."
    )
    messages: list[MessageParam] = Field(min_length=1)
    max_tokens: int = Field(ge=1, description="Required, as at Anthropic.")
    system: Text | list[TextBlock] | None = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    stop_sequences: list[Annotated[Text, Field(min_length=1)]] | None = Field(
        default=None, max_length=16
    )
    # Anthropic's temperature runs from 0 to 1.
    temperature: float | None = _sampling("temperature", 1.0)
    top_p: float | None = _sampling("top_p")
    stream: bool | None = False
    output_config: OutputConfig | None = None


class CountTokensRequest(_Body):
    """``POST /v1/messages/count_tokens``: the same conversation, no answer."""

    model: Text | None = None
    messages: list[MessageParam] = Field(min_length=1)
    system: Text | list[TextBlock] | None = None
    tools: list[Tool] | None = None


if TYPE_CHECKING:

    class MessagesRequest(MessagesRequestFields):
        """``POST /v1/messages``: one assistant turn, whole or streamed."""

else:
    # The fields the gateway receives and ignores or refuses, declared in _chat_options.py.
    MessagesRequest = create_model(
        "MessagesRequest",
        __base__=MessagesRequestFields,
        __doc__="``POST /v1/messages``: one assistant turn, whole or streamed.",
        **unhonoured_schema_fields("messages"),
    )
