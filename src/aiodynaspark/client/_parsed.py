"""``chat.completions.parse``: a structured answer read into the caller's pydantic model."""

import re
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from .._errors import InvalidModelOutputError, InvalidRequestError
from .._types import JSONSchema, JSONSchemaFormat, ParseOptions
from ._models import ChatCompletion, ChatCompletionMessage, Choice

__all__ = [
    "PARSE_OPTIONS",
    "ModelT",
    "ParseOptions",
    "ParsedChatCompletion",
    "ParsedChatCompletionMessage",
    "ParsedChoice",
    "json_schema_format",
    "parsed_completion",
]

ModelT = TypeVar("ModelT", bound=BaseModel)


PARSE_OPTIONS = frozenset(ParseOptions.__annotations__)
"""The keywords of :class:`ParseOptions`, for the unknown-keyword check."""


class ParsedChatCompletionMessage(ChatCompletionMessage, Generic[ModelT]):
    """The answer's message, with ``parsed``: the content read into the caller's model."""

    parsed: ModelT | None = None


class ParsedChoice(Choice, Generic[ModelT]):
    """One choice of a parsed completion."""

    message: ParsedChatCompletionMessage[ModelT]


class ParsedChatCompletion(ChatCompletion, Generic[ModelT]):
    """A completion whose ``choices[0].message.parsed`` is the answer as the caller's model."""

    choices: list[ParsedChoice[ModelT]]  # type: ignore[assignment]


def json_schema_format(model: object) -> JSONSchemaFormat:
    """The ``json_schema`` response format for a pydantic model class.

    Raises:
        InvalidRequestError: ``model`` is not a pydantic model class.
    """
    if not isinstance(model, type) or not issubclass(model, BaseModel):
        raise InvalidRequestError(
            "parse() needs response_format to be a pydantic model class, "
            f"not {type(model).__name__}."
        )
    # The name must be 1-64 letters, digits, "_" or "-": a generic's brackets are not.
    name = re.sub(r"[^A-Za-z0-9_-]", "_", model.__name__)[:64]
    schema = JSONSchema(name=name, schema=model.model_json_schema(), strict=True)
    return JSONSchemaFormat(type="json_schema", json_schema=schema)


def parsed_completion(
    completion: ChatCompletion, model: type[ModelT]
) -> ParsedChatCompletion[ModelT]:
    """Read the completion's content into ``model``; tool calls leave ``parsed`` empty.

    Raises:
        InvalidModelOutputError: The content does not fit the model (it was cut by
            ``max_tokens`` or a stop sequence, or the model's checks are stricter than its
            JSON schema).
    """
    data = completion.model_dump()
    for choice in data["choices"]:
        message = choice["message"]
        content = message.get("content")
        if content is None or message.get("tool_calls"):
            continue
        try:
            message["parsed"] = model.model_validate_json(content)
        except ValidationError as error:
            problems = [
                f"at {'/'.join(map(str, e['loc'])) or '(the top level)'}: {e['msg']}"
                for e in error.errors()
            ]
            raise InvalidModelOutputError(
                f"The answer does not fit {model.__name__} "
                f"(finish_reason {choice['finish_reason']!r}): {'; '.join(problems)}",
                errors=problems,
                output=content,
            ) from None
    return ParsedChatCompletion[model].model_validate(data)  # type: ignore[valid-type]
