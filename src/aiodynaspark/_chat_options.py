"""The options of a chat request, each declared once.

An option's name, type, range, doc line, which endpoint honours it and what the gateway does
with it live in :data:`CHAT_OPTIONS`. Derived from it: the REST provider's checks and query
encoding, the web form's accepted keywords, the client's ignored fields and its unknown
keyword check, the gateway's request schema (so ``/openapi.json``) and what it passes on,
and the CLI's chat options. The typed signatures of ``chat.completions.create`` are written
out (a type checker cannot read a table) and a test holds them to this table.

Adding an option is one entry here, plus its tests and the keyword in the two signatures.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ._types import ChatTool, JSONSchemaFormat, ResponseFormat, StreamOptions, ToolChoice

__all__ = [
    "CHAT_OPTIONS",
    "CLIENT_KEYWORDS",
    "GATEWAY_PASSED",
    "IGNORED_OPTIONS",
    "OPTIONS_BY_NAME",
    "REST_OPTIONS",
    "WEB_OPTIONS",
    "ChatOption",
]

Handling = Literal["rest", "web", "client", "ignored"]
"""Who acts on an option: a REST API query parameter of the same name (``rest``), a web form
field (``web``), the client itself before sending (``client``), or nobody: accepted for
OpenAI compatibility and dropped (``ignored``)."""

GatewayAction = Literal["pass", "ignore", "refuse"]
"""What the gateway does with the field: hand it to the client, drop it, or refuse it."""


@dataclass(frozen=True, slots=True)
class ChatOption:
    """One option of a chat request.

    Attributes:
        name: The keyword of ``chat.completions.create``, the gateway's JSON field, and the
            REST API's query parameter when it is sent there.
        type: What a caller passes; ``None`` (not given) is always allowed besides.
        doc: One line for docstrings, the OpenAPI document and the CLI's help.
        handling: Who acts on it (see :data:`Handling`).
        gateway: What the gateway does with it.
        low: The least value of a number, when bounded.
        high: The greatest value of a number, when bounded.
        openai: Whether OpenAI's API has the field (``False``: a Dynaspark extension).
        client: Whether ``chat.completions.create`` and the gateway take it (``False``: a
            provider keyword only).
        cli: The chat command's flags for it, when the command line offers it.
    """

    name: str
    type: Any
    doc: str
    handling: Handling
    gateway: GatewayAction = "pass"
    low: float | None = None
    high: float | None = None
    openai: bool = True
    client: bool = True
    cli: tuple[str, ...] = ()


def _sampling(name: str, low: float, high: float, doc: str) -> ChatOption:
    return ChatOption(name, float, f"{doc}, from {low:g} to {high:g}.", "rest", low=low, high=high)


def _ignored(name: str, type_: Any) -> ChatOption:
    return ChatOption(
        name,
        type_,
        "Accepted and ignored: the service has no such parameter.",
        "ignored",
        gateway="ignore",
    )


# The REST API's documented parameters and ranges, then what the client does itself, then
# the OpenAI fields that SDKs send by default and the service has no counterpart for.
CHAT_OPTIONS: tuple[ChatOption, ...] = (
    _sampling("temperature", 0.0, 3.0, "Sampling temperature"),
    _sampling("top_p", 0.0, 1.0, "Nucleus sampling: the probability mass to sample from"),
    _sampling("presence_penalty", -2.0, 2.0, "Penalty for tokens already present"),
    _sampling("frequency_penalty", -2.0, 2.0, "Penalty by how often a token already appeared"),
    ChatOption("seed", int, "A seed for reproducible answers.", "rest"),
    ChatOption(
        "system",
        str,
        "A system prompt, sent as the REST API's system parameter.",
        "rest",
        openai=False,
        cli=("-s", "--system"),
    ),
    ChatOption(
        "private",
        bool,
        "Keep the generation private.",
        "rest",
        openai=False,
    ),
    ChatOption("referrer", str, "Referrer information for the service.", "rest", openai=False),
    ChatOption(
        "json",
        bool,
        "Ask for a JSON answer (the client's response_format json_object).",
        "rest",
        client=False,
    ),
    ChatOption(
        "response_format",
        ResponseFormat | JSONSchemaFormat,
        '{"type": "json_object"} asks for a JSON answer (sent as the REST API\'s json); '
        '{"type": "json_schema", "json_schema": {"name", "schema"}} for the object a schema '
        "describes, by instruction, checked, repaired once.",
        "client",
    ),
    ChatOption("n", int, "Only 1: the service gives one answer.", "client", low=1, high=1),
    # Emulated by the client (docs/tools.md): the service has no tools, schemas, stop
    # sequences or token limits, so the client asks for them in the prompt and enforces them.
    ChatOption(
        "tools",
        list[ChatTool],
        "Function tools the model may call, by instruction; calls are checked against each "
        "tool's JSON schema.",
        "client",
    ),
    ChatOption(
        "tool_choice",
        ToolChoice,
        'auto (default with tools), none (no tools sent), required, or {"type": "function", '
        '"function": {"name": ...}}.',
        "client",
    ),
    ChatOption(
        "parallel_tool_calls",
        bool,
        "Whether one answer may call several tools (default true).",
        "client",
    ),
    ChatOption(
        "stop",
        str | list[str],
        "Up to 4 sequences; the answer ends just before the first one.",
        "client",
    ),
    ChatOption(
        "max_tokens",
        int,
        "The answer is cut at this many tokens, by the client's estimate.",
        "client",
        low=1,
    ),
    ChatOption(
        "max_completion_tokens",
        int,
        "As max_tokens (the smaller wins when both are given).",
        "client",
        low=1,
    ),
    ChatOption(
        "stream_options",
        StreamOptions,
        '{"include_usage": true} ends a stream with a chunk carrying the usage.',
        "client",
    ),
    _ignored("user", str),
    _ignored("logprobs", bool),
    _ignored("store", bool),
)

OPTIONS_BY_NAME: Mapping[str, ChatOption] = {option.name: option for option in CHAT_OPTIONS}

CLIENT_KEYWORDS: frozenset[str] = frozenset(o.name for o in CHAT_OPTIONS if o.client)
"""The options ``chat.completions.create`` takes besides its core keywords."""

REST_OPTIONS: tuple[ChatOption, ...] = tuple(o for o in CHAT_OPTIONS if o.handling == "rest")
"""The REST API's query parameters, in declaration order."""

WEB_OPTIONS: tuple[ChatOption, ...] = tuple(o for o in CHAT_OPTIONS if o.handling == "web")
"""The web form's fields besides the prompt and model (it has none today)."""

IGNORED_OPTIONS: frozenset[str] = frozenset(o.name for o in CHAT_OPTIONS if o.handling == "ignored")
"""Accepted and dropped by the client."""

GATEWAY_PASSED: tuple[str, ...] = tuple(
    o.name for o in CHAT_OPTIONS if o.client and o.gateway == "pass"
)
"""The gateway's request fields handed to the client under their own names."""
