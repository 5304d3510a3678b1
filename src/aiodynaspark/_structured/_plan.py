"""Read the request fields that shape an answer: tools, a JSON schema, stop, max_tokens, usage.

Everything is checked here, before any request: a malformed tool, schema or limit is an
:class:`InvalidRequestError` with the field named.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .._config import MAX_SCHEMA_CHARS, MAX_STOP_SEQUENCES, MAX_TOOLS
from .._errors import InvalidRequestError
from .._limits import echoed
from ._schema import SchemaValidator, compile_schema

__all__ = ["SHAPING_FIELDS", "AnswerPlan", "ToolDef", "read_plan"]

SHAPING_FIELDS = frozenset(
    {
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "stop",
        "max_tokens",
        "max_completion_tokens",
        "stream_options",
    }
)
"""The request fields this package reads (``response_format`` only when ``json_schema``)."""

_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}

Contract = Literal["tools", "schema"]


@dataclass(slots=True)
class ToolDef:
    """One function tool the model may call.

    Attributes:
        name: The function's name.
        description: What it does, for the model.
        parameters: The JSON schema of its arguments.
        validator: Checks a call's arguments against ``parameters``.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    validator: SchemaValidator


@dataclass(slots=True)
class AnswerPlan:
    """What the caller asked of the answer's shape, checked.

    Attributes:
        tools: The tools offered to the model (none with ``tool_choice="none"``).
        tool_choice: ``auto``, ``required``, ``none``, or the one tool's name that must be
            called.
        parallel_tool_calls: Whether one answer may call several tools.
        schema_name: The name of the answer's JSON schema, when one is asked for.
        schema: The answer's JSON schema.
        schema_validator: Checks an answer against ``schema``.
        stop: Stop sequences.
        max_tokens: The most estimated tokens of the answer's text.
        include_usage: Whether a stream ends with a usage chunk.
    """

    tools: list[ToolDef] = field(default_factory=list)
    tool_choice: str = "auto"
    parallel_tool_calls: bool = True
    schema_name: str | None = None
    schema: dict[str, Any] | None = None
    schema_validator: SchemaValidator | None = None
    stop: tuple[str, ...] = ()
    max_tokens: int | None = None
    include_usage: bool = False

    @property
    def contract(self) -> Contract | None:
        """``"tools"``: the model answers a tool-call or content object; ``"schema"``: the
        object the schema describes; ``None``: plain text."""
        if self.tools:
            return "tools"
        if self.schema is not None:
            return "schema"
        return None

    @property
    def named_tool(self) -> str | None:
        """The tool that must be called, when ``tool_choice`` names one."""
        if self.tool_choice in ("auto", "required", "none"):
            return None
        return self.tool_choice

    def tool(self, name: str) -> ToolDef | None:
        """The offered tool called ``name``, or ``None``."""
        for tool in self.tools:
            if tool.name == name:
                return tool
        return None


def _schema(value: object, where: str) -> tuple[dict[str, Any], SchemaValidator]:
    if not isinstance(value, Mapping):
        raise InvalidRequestError(f"{where} must be a JSON schema object.")
    schema = dict(value)
    try:
        size = len(json.dumps(schema))
    except (TypeError, ValueError):
        raise InvalidRequestError(f"{where} must be plain JSON data.") from None
    if size > MAX_SCHEMA_CHARS:
        raise InvalidRequestError(
            f"{where} is {size} characters of JSON; the limit is {MAX_SCHEMA_CHARS}."
        )
    return schema, compile_schema(schema, where)


def _name(value: object, where: str) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise InvalidRequestError(
            f"{where} must be 1-64 letters, digits, '_' or '-', got {echoed(value)}."
        )
    return value


def _read_tools(value: object) -> list[ToolDef]:
    if not isinstance(value, list | tuple):
        raise InvalidRequestError("tools must be a list of function tools.")
    if len(value) > MAX_TOOLS:
        raise InvalidRequestError(f"tools holds {len(value)} tools; the limit is {MAX_TOOLS}.")
    tools: list[ToolDef] = []
    for index, tool in enumerate(value):
        where = f"tools[{index}]"
        if not isinstance(tool, Mapping) or tool.get("type", "function") != "function":
            raise InvalidRequestError(
                f'{where} must be {{"type": "function", "function": {{...}}}}: only function '
                "tools exist here."
            )
        function = tool.get("function")
        if not isinstance(function, Mapping):
            raise InvalidRequestError(f"{where}.function must be an object with a name.")
        name = _name(function.get("name"), f"{where}.function.name")
        if any(known.name == name for known in tools):
            raise InvalidRequestError(f"{where}: two tools are called {echoed(name)}.")
        description = function.get("description") or ""
        if not isinstance(description, str):
            raise InvalidRequestError(f"{where}.function.description must be a string.")
        raw = function.get("parameters")
        schema, validator = _schema(
            _EMPTY_PARAMETERS if raw is None else raw, f"{where}.function.parameters"
        )
        tools.append(ToolDef(name, description, schema, validator))
    return tools


def _read_tool_choice(value: object, tools: list[ToolDef]) -> str:
    if value is None:
        return "auto" if tools else "none"
    if value in ("auto", "none", "required"):
        assert isinstance(value, str)
        if value == "required" and not tools:
            raise InvalidRequestError("tool_choice 'required' needs tools.")
        return value
    function = value.get("function") if isinstance(value, Mapping) else None
    name = function.get("name") if isinstance(function, Mapping) else None
    if not isinstance(name, str):
        raise InvalidRequestError(
            'tool_choice must be "auto", "none", "required" or '
            '{"type": "function", "function": {"name": ...}}.'
        )
    if not any(tool.name == name for tool in tools):
        raise InvalidRequestError(
            f"tool_choice names {echoed(name)}, which is not among the tools."
        )
    return name


def _read_stop(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    stops = (value,) if isinstance(value, str) else value
    if not isinstance(stops, list | tuple) or not all(
        isinstance(stop, str) and stop for stop in stops
    ):
        raise InvalidRequestError("stop must be a non-empty string or a list of them.")
    if len(stops) > MAX_STOP_SEQUENCES:
        raise InvalidRequestError(
            f"stop holds {len(stops)} sequences; the limit is {MAX_STOP_SEQUENCES}."
        )
    return tuple(stops)


def _read_max_tokens(options: Mapping[str, Any]) -> int | None:
    limits = []
    for name in ("max_completion_tokens", "max_tokens"):
        value = options.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidRequestError(f"{name} must be a whole number of at least 1.")
        limits.append(value)
    return min(limits) if limits else None


def _read_response_format(plan: AnswerPlan, value: Mapping[str, Any]) -> None:
    spec = value.get("json_schema")
    if not isinstance(spec, Mapping):
        raise InvalidRequestError(
            'response_format json_schema needs {"json_schema": {"name": ..., "schema": {...}}}.'
        )
    plan.schema_name = _name(spec.get("name"), "response_format.json_schema.name")
    plan.schema, plan.schema_validator = _schema(
        spec.get("schema", {"type": "object"}), "response_format.json_schema.schema"
    )


def read_plan(options: dict[str, Any], *, stream: bool) -> AnswerPlan | None:
    """Take the answer-shaping fields out of ``options`` and check them.

    ``options`` is the caller's copy: the fields read here are removed, the rest stay
    (``response_format`` of type ``text`` or ``json_object`` stays for the providers).

    Args:
        options: The request's options.
        stream: Whether the answer is streamed (``stream_options`` counts only then).

    Returns:
        The plan, or ``None`` when no field asks for anything.

    Raises:
        InvalidRequestError: A malformed field.
    """
    if options.keys().isdisjoint(SHAPING_FIELDS):
        return None
    plan = AnswerPlan()
    tools = _read_tools(options.pop("tools", None) or [])
    plan.tool_choice = _read_tool_choice(options.pop("tool_choice", None), tools)
    plan.tools = [] if plan.tool_choice == "none" else tools
    parallel = options.pop("parallel_tool_calls", None)
    if parallel is not None and not isinstance(parallel, bool):
        raise InvalidRequestError("parallel_tool_calls must be True or False.")
    plan.parallel_tool_calls = parallel is not False
    response_format = options.get("response_format")
    if isinstance(response_format, Mapping) and response_format.get("type") == "json_schema":
        del options["response_format"]
        _read_response_format(plan, response_format)
    plan.stop = _read_stop(options.pop("stop", None))
    plan.max_tokens = _read_max_tokens(options)
    options.pop("max_tokens", None)
    options.pop("max_completion_tokens", None)
    stream_options = options.pop("stream_options", None)
    if stream_options is not None:
        if not isinstance(stream_options, Mapping):
            raise InvalidRequestError('stream_options must be {"include_usage": true|false}.')
        include = stream_options.get("include_usage", False)
        if not isinstance(include, bool):
            raise InvalidRequestError("stream_options.include_usage must be True or False.")
        plan.include_usage = include and stream
    if plan.contract is None and not plan.stop and plan.max_tokens is None:
        return None if not plan.include_usage else plan
    return plan
