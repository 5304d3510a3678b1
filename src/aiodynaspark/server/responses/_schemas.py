"""The body of ``POST /v1/responses`` in OpenAI's Responses shape, as pydantic models.

Only what the gateway can honour is modelled; the other fields OpenAI clients send
(``include``, ``reasoning``, ...) are declared in ``_chat_options.py``, ignored
and named in the answer's header, or refused, as on the chat route. Input
items of a kind the gateway cannot play (files, hosted tools, item references) are refused
with a message that names them, never dropped in silence.
"""

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, Tag, create_model, field_validator

from ..._chat_options import OPTIONS_BY_NAME
from ..._limits import echoed
from ..core._schemas import BUILT_AT_FIRST_USE, Text, unhonoured_schema_fields

__all__ = [
    "FunctionCallItem",
    "FunctionCallOutputItem",
    "FunctionTool",
    "InputMessage",
    "ResponsesRequest",
    "TextFormat",
]


# OpenAI's documented bounds on a response's metadata: 16 pairs, keys of at most 64
# characters, values of at most 512. Stored and echoed with every answer, so bounded here.
MAX_METADATA_PAIRS = 16
MAX_METADATA_KEY_CHARS = 64
MAX_METADATA_VALUE_CHARS = 512


def _sampling(name: str) -> float | None:
    # The chat option's own range: the service's documented one.
    option = OPTIONS_BY_NAME[name]
    field: float | None = Field(default=None, ge=option.low, le=option.high, description=option.doc)
    return field


class _Body(BaseModel):
    model_config = BUILT_AT_FIRST_USE


class InputText(_Body):
    """Text in an input message (``input_text``), or earlier answer text (``output_text``)."""

    type: Literal["input_text", "output_text"]
    text: Text


class InputImage(_Body):
    """An image in an input message: a ``data:`` URI (or an http(s) URL if the gateway fetches)."""

    type: Literal["input_image"]
    image_url: Text | None = Field(default=None, description="A data:image/...;base64, URI.")
    file_id: str | None = Field(default=None, description="Refused: there is no file store.")
    detail: str | None = Field(default=None, description="Ignored.")


class Refusal(_Body):
    """A refusal in an earlier answer; replayed as its text."""

    type: Literal["refusal"]
    refusal: Text


InputPart = Annotated[InputText | InputImage | Refusal, Field(discriminator="type")]


class InputMessage(_Body):
    """A message: ``{"role", "content"}``, content a string or a list of parts."""

    type: Literal["message"] = "message"
    role: Literal["user", "assistant", "system", "developer"]
    content: Text | list[InputPart]


class FunctionCallItem(_Body):
    """A function call the model made earlier, replayed as history."""

    type: Literal["function_call"]
    call_id: Text
    name: Text
    arguments: Text
    id: str | None = None


class FunctionCallOutputItem(_Body):
    """The result of a function call, for the model to read."""

    type: Literal["function_call_output"]
    call_id: Text
    output: Text | list[InputPart]


def _item_kind(value: Any) -> str:
    kind = value.get("type", "message") if isinstance(value, dict) else getattr(value, "type", "")
    return kind if kind in ("message", "function_call", "function_call_output") else "unknown"


class _UnknownItem(_Body):
    type: str = Field(description="Refused: only message, function_call, function_call_output.")

    @field_validator("type")
    @classmethod
    def _refuse(cls, value: str) -> str:
        raise ValueError(
            f"input items of type {echoed(value)} are not supported; send message, function_call "
            "and function_call_output items"
        )


InputItem = Annotated[
    Annotated[InputMessage, Tag("message")]
    | Annotated[FunctionCallItem, Tag("function_call")]
    | Annotated[FunctionCallOutputItem, Tag("function_call_output")]
    | Annotated[_UnknownItem, Tag("unknown")],
    Discriminator(_item_kind),
]


class FunctionTool(_Body):
    """A function the model may call; ``parameters`` is its arguments' JSON schema."""

    type: Literal["function"]
    name: Text = Field(min_length=1, max_length=64)
    description: Text | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class NamedFunction(_Body):
    """``tool_choice`` naming the one function to call."""

    type: Literal["function"]
    name: Text


class TextFormat(_Body):
    """``text.format``: ``text``, ``json_object``, or ``json_schema`` with its schema."""

    type: Literal["text", "json_object", "json_schema"]
    name: Text | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    description: Text | None = None
    strict: bool | None = None


class TextOptions(_Body):
    """``text``: how the answer's text is shaped."""

    format: TextFormat | None = None


class ResponsesRequestFields(_Body):
    """The modelled fields of ``ResponsesRequest``."""

    model: Text | None = Field(
        default=None, description="A model id or alias; default gemini-1.5-flash."
    )
    input: Text | list[InputItem] = Field(description="A prompt, or a list of input items.")
    instructions: Text | None = Field(default=None, description="The system prompt.")
    tools: list[FunctionTool] | None = None
    tool_choice: Literal["auto", "none", "required"] | NamedFunction | None = None
    parallel_tool_calls: bool | None = None
    text: TextOptions | None = None
    max_output_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = _sampling("temperature")
    top_p: float | None = _sampling("top_p")
    stream: bool | None = False
    store: bool | None = Field(default=True, description="Keep the answer for continuation.")
    previous_response_id: Text | None = Field(
        default=None, description="Continue the conversation of a stored response."
    )
    truncation: Literal["auto", "disabled"] | None = Field(
        default=None,
        description="auto: a conversation too long for the REST API's URL loses its oldest "
        "items until it fits (never the instructions nor the last user input); disabled "
        "(default): it goes whole by the web form, without temperature and top_p.",
    )
    metadata: dict[str, str] | None = Field(
        default=None,
        description=f"Echoed back and stored: at most {MAX_METADATA_PAIRS} pairs, keys of at "
        f"most {MAX_METADATA_KEY_CHARS} characters, values of at most "
        f"{MAX_METADATA_VALUE_CHARS}.",
    )
    # Echoed back as OpenAI does; also declared, ignored, in _chat_options.py.
    user: str | None = Field(default=None, description="Ignored.")

    @field_validator("metadata", mode="before")
    @classmethod
    def _metadata_within_bounds(cls, value: object) -> object:
        # Checked before the pairs are validated one by one: a million of them cost nothing.
        if not isinstance(value, dict):
            return value
        if len(value) > MAX_METADATA_PAIRS:
            raise ValueError(f"at most {MAX_METADATA_PAIRS} pairs, got {len(value):,}")
        for key, item in value.items():
            if len(key) > MAX_METADATA_KEY_CHARS:
                raise ValueError(f"keys are at most {MAX_METADATA_KEY_CHARS} characters")
            if isinstance(item, str) and len(item) > MAX_METADATA_VALUE_CHARS:
                raise ValueError(f"values are at most {MAX_METADATA_VALUE_CHARS} characters")
        return value


if TYPE_CHECKING:

    class ResponsesRequest(ResponsesRequestFields):
        """``POST /v1/responses``: one model turn, whole or streamed, optionally continued."""

else:
    # The fields the gateway receives and ignores or refuses, declared in _chat_options.py.
    ResponsesRequest = create_model(
        "ResponsesRequest",
        __base__=ResponsesRequestFields,
        __doc__="``POST /v1/responses``: one model turn, whole or streamed, optionally continued.",
        **unhonoured_schema_fields("responses"),
    )
