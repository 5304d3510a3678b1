"""The options of a chat request, each declared once.

An option's name, type, range, doc line, which endpoint honours it and what the gateway does
with it live in :data:`CHAT_OPTIONS`. Derived from it: the REST provider's checks and query
encoding, the web form's accepted keywords, the client's ignored fields and its unknown
keyword check and what it refuses, the gateway's request schema (so ``/openapi.json``) and
what it passes on, and the CLI's chat options. The typed signatures of
``chat.completions.create`` are written out (a type checker cannot read a table) and a test
holds them to this table.

Adding an option is one entry here, plus its tests and the keyword in the two signatures.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ._limits import echoed
from ._types import ChatTool, JSONSchemaFormat, ResponseFormat, StreamOptions, ToolChoice

__all__ = [
    "CHAT_OPTIONS",
    "CLIENT_KEYWORDS",
    "CLIENT_REFUSED",
    "GATEWAY_PASSED",
    "IGNORED_OPTIONS",
    "OPTIONS_BY_NAME",
    "REST_OPTIONS",
    "WEB_OPTIONS",
    "Api",
    "ChatOption",
    "unhonoured_fields",
]

Handling = Literal["rest", "web", "client", "ignored"]
"""Who acts on an option: a REST API query parameter of the same name (``rest``), a web form
field (``web``), the client itself before sending (``client``), or nobody: accepted for
OpenAI compatibility and dropped (``ignored``)."""

GatewayAction = Literal["pass", "ignore", "refuse"]
"""What the gateway does with the field: hand it to the client, drop it (and name it in the
``x-aiodynaspark-ignored-params`` header), or refuse it with 400. A field is refused when
honouring it would change the answer's shape (token probabilities, audio, several choices), so
a caller never gets an answer without what it asked for; it is ignored when nothing a caller
sees depends on it (a hint to the model, a billing tag)."""

Api = Literal["chat", "responses", "messages"]
"""The gateway's APIs: Chat Completions, OpenAI's Responses, Anthropic's Messages."""


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
        apis: The gateway APIs that have a field of this name, for a field the gateway
            ignores or refuses (the Responses and Messages schemas declare theirs from here).
        accepts: For a refused field, the values that ask for nothing the service lacks
            (``logprobs: false``), accepted and dropped.
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
    apis: tuple[Api, ...] = ("chat",)
    accepts: tuple[object, ...] = ()

    def refuses(self, value: object) -> bool:
        """Whether ``value`` asks for what the service lacks, so it is refused (a refused
        field other than ``None`` and its ``accepts``); the gateway and the client ask this.
        """
        return self.gateway == "refuse" and value is not None and value not in self.accepts

    def refusal(self, value: object) -> str:
        """The client's message for a refused ``value``: what, why, and what to pass instead."""
        instead = " or ".join(f"{self.name}={accepted!r}" for accepted in self.accepts)
        return (
            f"{self.name}={echoed(value)} cannot be honoured. {self.doc} Leave {self.name} "
            f"out{f' or pass {instead}' if instead else ''}."
        )


def _sampling(name: str, low: float, high: float, doc: str) -> ChatOption:
    return ChatOption(name, float, f"{doc}, from {low:g} to {high:g}.", "rest", low=low, high=high)


def _ignored(name: str, type_: Any, *apis: Api) -> ChatOption:
    return ChatOption(
        name,
        type_,
        "Accepted and ignored: the service has no such parameter.",
        "ignored",
        gateway="ignore",
        apis=("chat", *apis),
    )


def _unseen(name: str, type_: Any, doc: str, *apis: Api) -> ChatOption:
    # A field only the gateway receives (the client has no keyword for it), which changes
    # nothing a caller sees: accepted, dropped, and named in the answer's header.
    return ChatOption(
        name, type_, f"Ignored: {doc}", "ignored", gateway="ignore", client=False, apis=apis
    )


def _refused(
    name: str, type_: Any, doc: str, *apis: Api, accepts: tuple[object, ...] = ()
) -> ChatOption:
    # A field whose answer the service cannot give: refused with 400 and this doc as the why.
    return ChatOption(
        name,
        type_,
        doc,
        "ignored",
        gateway="refuse",
        client=False,
        apis=apis,
        accepts=accepts,
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
    # The gateway refuses n > 1 with this reason; the client checks it itself.
    ChatOption(
        "n",
        int,
        "Only 1: the service gives one answer.",
        "client",
        gateway="refuse",
        low=1,
        high=1,
        accepts=(1,),
    ),
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
        "truncation",
        Literal["auto", "disabled"],
        "auto: a conversation too long for the REST API's URL loses its oldest turns until it "
        "fits (never a system message nor the last user message), so it still streams; "
        "disabled (default): it goes whole by the web form, without the REST API's options.",
        "client",
        openai=False,
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
    _ignored("user", str, "responses"),
    ChatOption(
        "logprobs",
        bool,
        "Only false: the service gives no token log probabilities.",
        "ignored",
        gateway="refuse",
        accepts=(False,),
    ),
    _ignored("store", bool),
    # Fields only the gateway receives, from the three APIs' SDKs: what they would change
    # decides refused or ignored (see GatewayAction).
    _refused(
        "top_logprobs",
        int,
        "Only 0: the service gives no token log probabilities.",
        "chat",
        "responses",
        accepts=(0,),
    ),
    _refused(
        "modalities",
        list[str],
        'Only ["text"]: the service answers in text, never audio.',
        "chat",
        accepts=(["text"],),
    ),
    _refused("audio", dict[str, Any], "Refused: the service answers in text, never audio.", "chat"),
    _refused(
        "thread",
        dict[str, Any],
        "Refused: the gateway holds no Anthropic thread; send the whole conversation "
        "(Anthropic's SDKs do so on this refusal).",
        "messages",
    ),
    _refused(
        "mcp_servers",
        list[Any],
        "Refused: the gateway cannot reach MCP servers; give the tools as tools.",
        "messages",
    ),
    _unseen("reasoning_effort", str, "the service's models take no reasoning budget.", "chat"),
    _unseen(
        "reasoning", dict[str, Any], "the service's models take no reasoning budget.", "responses"
    ),
    _unseen("thinking", dict[str, Any], "the service's models show no thinking.", "messages"),
    _unseen("logit_bias", dict[str, float], "the service takes no token biases.", "chat"),
    _unseen("prediction", dict[str, Any], "the service takes no predicted output.", "chat"),
    _unseen("verbosity", str, "the service takes no verbosity hint.", "chat"),
    _unseen("top_k", int, "the service samples with its own top_k.", "messages"),
    _unseen("metadata", dict[str, Any], "the service keeps no metadata.", "chat", "messages"),
    _unseen("service_tier", str, "the service has one tier.", "chat", "responses", "messages"),
    _unseen("include", list[str], "answers carry what they always carry.", "responses"),
    _unseen("prompt_cache_key", str, "the service keeps no prompt cache.", "chat", "responses"),
    _unseen("safety_identifier", str, "the service takes no end-user id.", "chat", "responses"),
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


def unhonoured_fields(api: Api) -> tuple[ChatOption, ...]:
    """The fields of ``api`` that the gateway receives and ignores or refuses."""
    return tuple(o for o in CHAT_OPTIONS if api in o.apis and o.gateway != "pass")


CLIENT_REFUSED: tuple[ChatOption, ...] = tuple(
    o for o in CHAT_OPTIONS if o.client and o.gateway == "refuse"
)
"""The keywords of ``chat.completions.create`` whose values the service cannot honour besides
their ``accepts``: the client refuses the others before any request, as the gateway does."""

GATEWAY_PASSED: tuple[str, ...] = tuple(
    o.name for o in CHAT_OPTIONS if o.client and o.gateway == "pass"
)
"""The gateway's request fields handed to the client under their own names."""
