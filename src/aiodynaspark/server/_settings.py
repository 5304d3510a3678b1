"""The gateway's settings, declared once: each field is a keyword, a variable and a flag.

:class:`GatewaySettings` is the one list. From a field come the keyword of :func:`create_app`
and :func:`serve` (through :class:`GatewayOptions`, which a test keeps equal to the fields),
the environment variable ``AIODYNASPARK_<NAME>`` (the model reads it itself), and the option
of ``aiodynaspark serve`` (built from the field by the CLI, named ``--<name>``; a switch
that is on by default becomes ``--no-<name>``). Adding a setting is one field here, its line
in :class:`GatewayOptions`, and its row in ``docs/gateway.md``.

Settings the gateway hands to its upstream client (``base_url``, ``timeout`` ...) are marked
:class:`LibraryVariable`: their default is the library's own ``DYNASPARK_*`` variable, read
by the client, so one variable means one thing whichever entry point reads it.
"""

import ipaddress
import os
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypedDict, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo

from .._config import ENV_API_KEY, ENV_BASE_URL, ENV_DEADLINE, ENV_MAX_RETRIES, ENV_TIMEOUT
from .ops._aliases import parse_aliases
from .ops._rates import parse_rate
from .ops._readiness import DEFAULT_PROBE_INTERVAL
from .ops._store import (
    DEFAULT_STORE_MAX_BYTES,
    DEFAULT_STORE_MAX_BYTES_PER_OWNER,
    DEFAULT_STORE_MAX_ENTRIES_PER_OWNER,
    DEFAULT_STORE_TTL,
)

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "ENV_PREFIX",
    "ENV_SETTINGS",
    "REMOTE_IMAGE_TIMEOUT",
    "Flag",
    "GatewayOptions",
    "GatewaySettings",
    "LibraryVariable",
    "ServeOptions",
    "ServeSettings",
    "environment_variable",
    "flag_for",
    "library_variable",
    "load_settings",
]

# Every variable of the gateway's own settings starts with this; the rest of the name is the
# field's, upper-cased (AIODYNASPARK_API_KEY, AIODYNASPARK_MAX_BODY_BYTES ...).
ENV_PREFIX = "AIODYNASPARK_"

# serve(workers=N) hands the settings to uvicorn's worker processes through this variable
# (uvicorn starts workers from an import string, so objects cannot be passed).
ENV_SETTINGS = "AIODYNASPARK_GATEWAY_CONFIG"

# A 20 MiB image (the library's MAX_IMAGE_BYTES) is about 27 MiB as base64 in a JSON body;
# 30 MiB leaves room for the rest of the request.
DEFAULT_MAX_BODY_BYTES = 30 * 1024 * 1024

# Input bounds, each checked before work grows with it. A long chat of a few hundred turns is
# far below 1,000 messages; 100 parts per message is more than any client sends; a million
# characters is about 250,000 tokens, beyond the context of the service's models; the
# service takes one image per request; model ids are a few dozen characters.
DEFAULT_MAX_MESSAGES = 1000
DEFAULT_MAX_CONTENT_PARTS = 100
DEFAULT_MAX_TEXT_CHARS = 1_000_000
DEFAULT_MAX_IMAGE_PARTS = 1
DEFAULT_MAX_MODEL_CHARS = 200
# A stream whose answer arrives whole says it is alive every few seconds while it waits: far
# inside the 60 s after which proxies commonly close an idle connection (nginx's
# proxy_read_timeout), and often enough for a page to show that the answer is coming.
DEFAULT_STREAM_KEEP_ALIVE = 5.0

# nginx's client_header_timeout is 60 s; a client on a normal link sends its headers in one
# packet, so 10 s is generous and frees a slow sender's socket six times sooner.
DEFAULT_HEADER_TIMEOUT = 10.0

# Open connections per process: below the usual file limit of 1,024 with room for the
# upstream pool (100) and the process's own files.
DEFAULT_MAX_CONNECTIONS = 512

# Fetching one remote image (only with allow_remote_images): a slow host must not hold a
# request for the whole upstream timeout.
REMOTE_IMAGE_TIMEOUT = 20.0


@dataclass(frozen=True, slots=True)
class Flag:
    """How a setting shows on ``aiodynaspark serve`` when its name alone does not say it.

    Attributes:
        name: The option, say ``--cors-origin`` for a repeatable one; ``None`` derives it
            from the field; ``""`` gives the setting no option (a secret better kept out of
            ``ps``).
        metavar: The placeholder in ``--help`` (``URL``, ``SECONDS``).
    """

    name: str | None = None
    metavar: str | None = None


@dataclass(frozen=True, slots=True)
class LibraryVariable:
    """Marks a setting of the upstream client: its default is this library variable."""

    name: str


class GatewaySettings(BaseModel):
    """Every setting of the gateway app (what :func:`create_app` takes besides a client).

    A keyword beats the variable ``AIODYNASPARK_<NAME>`` (its name in any case), which beats
    the default. The upstream settings (marked with their ``DYNASPARK_*`` variable) stay
    ``None`` unless given: the client then reads that variable or uses the library's default.
    A variable's text is validated as the keyword would be (``"8080"`` for a number, ``"1"``
    or ``"false"`` for a switch); a list is comma-separated.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    # Read here rather than with pydantic-settings, whose import (its cloud sources and
    # python-dotenv with it) held 0.9 MiB of the gateway's memory for this one loop.
    def __init__(self, **data: Any) -> None:
        super().__init__(**{**_own_variables(type(self)), **data})

    api_key: Annotated[str | None, Flag(metavar="KEY")] = Field(
        default=None,
        repr=False,
        description="Key callers must send as 'Authorization: Bearer KEY' on /v1 routes "
        "(unset or empty: the gateway is open).",
    )
    base_url: Annotated[str | None, Flag(metavar="URL"), LibraryVariable(ENV_BASE_URL)] = Field(
        default=None, description="Dynaspark root to forward to (default: the public host)."
    )
    upstream_api_key: Annotated[str | None, Flag(name=""), LibraryVariable(ENV_API_KEY)] = Field(
        default=None, repr=False, description="The REST API key the gateway sends to Dynaspark."
    )
    timeout: Annotated[float | None, Flag(metavar="SECONDS"), LibraryVariable(ENV_TIMEOUT)] = Field(
        default=None, gt=0, allow_inf_nan=False, description="Upstream time per attempt."
    )
    deadline: Annotated[float | None, Flag(metavar="SECONDS"), LibraryVariable(ENV_DEADLINE)] = (
        Field(
            default=None,
            gt=0,
            allow_inf_nan=False,
            description="Upstream time for a whole request, retries and waits included.",
        )
    )
    max_retries: Annotated[int | None, Flag(metavar="N"), LibraryVariable(ENV_MAX_RETRIES)] = Field(
        default=None, ge=0, description="Upstream retries after the first attempt."
    )
    ui: bool = Field(default=True, description="Serve the chat page at /.")
    cors_origins: Annotated[tuple[str, ...], Flag(name="--cors-origin", metavar="ORIGIN")] = Field(
        default=(),
        description="Origins allowed to call the API from a browser ('*' for any; "
        "repeatable; comma-separated in the variable). None: CORS off.",
    )
    model_aliases: Annotated[tuple[str, ...], Flag(name="--model-alias", metavar="NAME=MODEL")] = (
        Field(
            default=(),
            description="A model name clients send, mapped onto a Dynaspark model "
            "(gpt-4o=gemini-2.0-flash; repeatable; comma-separated in the variable); listed by "
            "/v1/models and resolved before a caller key's model list is checked.",
        )
    )
    max_body_bytes: Annotated[int, Flag(metavar="BYTES")] = Field(
        default=DEFAULT_MAX_BODY_BYTES,
        ge=1,
        strict=False,
        description="Largest request body; larger ones get 413 (30 MiB: one 20 MiB image "
        "as base64).",
    )
    allow_remote_images: bool = Field(
        default=False, description="Fetch http(s) image URLs (public addresses only)."
    )
    allowed_hosts: Annotated[tuple[str, ...], Flag(name="--allowed-host", metavar="NAME")] = Field(
        default=(),
        description="Host names accepted besides loopback ones when the gateway listens on a "
        "loopback address ('*' turns the check off; repeatable; comma-separated in the "
        "variable).",
    )
    max_messages: Annotated[int, Flag(metavar="N")] = Field(
        default=DEFAULT_MAX_MESSAGES, ge=1, description="Most messages in one chat request."
    )
    max_content_parts: Annotated[int, Flag(metavar="N")] = Field(
        default=DEFAULT_MAX_CONTENT_PARTS, ge=1, description="Most content parts in one message."
    )
    max_text_chars: Annotated[int, Flag(metavar="N")] = Field(
        default=DEFAULT_MAX_TEXT_CHARS,
        ge=1,
        description="Most characters of text in one request (all messages together).",
    )
    max_image_parts: Annotated[int, Flag(metavar="N")] = Field(
        default=DEFAULT_MAX_IMAGE_PARTS,
        ge=0,
        description="Most image parts in one chat request, counted before any is fetched.",
    )
    max_model_chars: Annotated[int, Flag(metavar="N")] = Field(
        default=DEFAULT_MAX_MODEL_CHARS, ge=1, description="Longest model name accepted."
    )
    long_prompts: Annotated[Literal["web_form", "refuse"], Flag(metavar="web_form|refuse")] = Field(
        default="web_form",
        description="A conversation too long for the REST API's URL goes whole by the web "
        "form, its REST-only options dropped and named in x-aiodynaspark-dropped-params "
        "(web_form), or is refused with 400 when it has such options (refuse).",
    )
    stream_keep_alive: Annotated[float, Flag(metavar="SECONDS")] = Field(
        default=DEFAULT_STREAM_KEEP_ALIVE,
        gt=0,
        allow_inf_nan=False,
        description="Seconds between keep-alives (': keep-alive' comments; ping events on "
        "/v1/messages) on a stream whose answer arrives whole (x-aiodynaspark-stream: whole) "
        "while it is awaited.",
    )
    # Scaling out: the settings of docs/deployment.md.
    redis_url: Annotated[str | None, Flag(metavar="URL")] = Field(
        default=None,
        repr=False,  # may hold a password
        description="Share the limits with every gateway using this Redis "
        "(redis://HOST:PORT/DB); unset: each process counts alone.",
    )
    upstream_rate_limit: Annotated[str | None, Flag(metavar="N/PERIOD")] = Field(
        default=None,
        description="Calls to Dynaspark allowed to all gateways together, as N/second, "
        "N/minute or N/hour (the free key: 100/hour); over it, 429 at once.",
    )
    keys_file: Annotated[str | None, Flag(metavar="PATH")] = Field(
        default=None,
        description="Caller keys (TOML, written by 'aiodynaspark keys'), re-read when it "
        "changes; --api-key keeps working beside it.",
    )
    metrics: bool = Field(default=True, description="Serve Prometheus metrics at /metrics.")
    probe_interval: Annotated[float, Flag(metavar="SECONDS")] = Field(
        default=DEFAULT_PROBE_INTERVAL,
        gt=0,
        allow_inf_nan=False,
        description="/health/ready is ready while Dynaspark's /status answered within this.",
    )
    upstream_limit_on_redis_failure: Annotated[
        Literal["refuse", "local"], Flag(metavar="refuse|local")
    ] = Field(
        default="refuse",
        description="While Redis is down, the upstream quota refuses (503) or counts in "
        "each process alone.",
    )
    key_limit_on_redis_failure: Annotated[
        Literal["refuse", "local"], Flag(metavar="refuse|local")
    ] = Field(
        default="local",
        description="While Redis is down, caller keys' limits refuse (503) or count in each "
        "process alone.",
    )
    response_store_ttl: Annotated[float, Flag(metavar="SECONDS")] = Field(
        default=DEFAULT_STORE_TTL,
        gt=0,
        allow_inf_nan=False,
        description="Seconds a /v1/responses answer stays retrievable and continuable.",
    )
    response_store_max_bytes: Annotated[int, Flag(metavar="BYTES")] = Field(
        default=DEFAULT_STORE_MAX_BYTES,
        ge=1,
        strict=False,
        description="Most bytes of stored /v1/responses answers kept in memory, per worker; "
        "when full, the key holding the most loses its oldest (with --redis-url, Redis's "
        "maxmemory bounds the whole instead).",
    )
    response_store_max_bytes_per_key: Annotated[int, Flag(metavar="BYTES")] = Field(
        default=DEFAULT_STORE_MAX_BYTES_PER_OWNER,
        ge=1,
        strict=False,
        description="Most bytes of stored /v1/responses answers one caller key keeps (its "
        "oldest go first; a larger answer is not stored), in memory and in Redis.",
    )
    response_store_max_entries_per_key: Annotated[int, Flag(metavar="N")] = Field(
        default=DEFAULT_STORE_MAX_ENTRIES_PER_OWNER,
        ge=1,
        description="Most stored /v1/responses answers one caller key keeps (its oldest go "
        "first), in memory and in Redis.",
    )

    @field_validator("upstream_rate_limit")
    @classmethod
    def _rate_is_readable(cls, value: str | None) -> str | None:
        if value is not None:
            parse_rate(value)
        return value

    @field_validator("api_key")
    @classmethod
    def _empty_key_is_no_key(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("model_aliases")
    @classmethod
    def _aliases_are_readable(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        parse_aliases(value)
        return value

    @field_validator("cors_origins", "allowed_hosts", "model_aliases", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        return _comma_list(value)


def _comma_list(value: object) -> object:
    # A lone string (a variable, or a keyword) would otherwise be a tuple of letters.
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value


class ServeSettings(GatewaySettings):
    """The settings of :func:`serve`: the app's, and where and how many processes listen."""

    host: Annotated[str, Flag(metavar="HOST")] = Field(
        default="127.0.0.1", description="Interface to listen on ('0.0.0.0' for every one)."
    )
    port: Annotated[int, Flag(metavar="PORT")] = Field(
        default=8080, ge=0, le=65535, description="TCP port to listen on."
    )
    workers: Annotated[int, Flag(metavar="N")] = Field(
        default=1, ge=1, description="Processes sharing the port."
    )
    header_timeout: Annotated[float, Flag(metavar="SECONDS")] = Field(
        default=DEFAULT_HEADER_TIMEOUT,
        gt=0,
        allow_inf_nan=False,
        description="Seconds a client may take to send a request's headers (one worker; "
        "workers use the default).",
    )
    max_connections: Annotated[int, Flag(metavar="N")] = Field(
        default=DEFAULT_MAX_CONNECTIONS,
        ge=1,
        description="Open connections (and requests) per process; past it new requests "
        "get 503. Keep it below the file limit (ulimit -n) minus the upstream pool.",
    )
    trusted_proxies: Annotated[tuple[str, ...], Flag(name="--trusted-proxy", metavar="ADDRESS")] = (
        Field(
            default=(),
            description="Addresses or networks of the reverse proxies whose X-Forwarded-For and "
            "X-Forwarded-Proto are believed (repeatable; comma-separated in the variable). "
            "None: those headers are ignored, from loopback too.",
        )
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        proxies = _comma_list(value)
        for proxy in proxies if isinstance(proxies, tuple | list) else ():
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"{proxy!r} is not an IP address or network") from None
        return proxies


class GatewayOptions(TypedDict, total=False):
    """The keywords of :func:`create_app`: one per :class:`GatewaySettings` field.

    ``None`` means "not given": the variable or the default applies.
    """

    api_key: str | None
    base_url: str | None
    upstream_api_key: str | None
    timeout: float | None
    deadline: float | None
    max_retries: int | None
    ui: bool | None
    cors_origins: tuple[str, ...] | list[str] | str | None
    model_aliases: tuple[str, ...] | list[str] | str | None
    max_body_bytes: int | None
    allow_remote_images: bool | None
    allowed_hosts: tuple[str, ...] | list[str] | str | None
    max_messages: int | None
    max_content_parts: int | None
    max_text_chars: int | None
    max_image_parts: int | None
    max_model_chars: int | None
    long_prompts: Literal["web_form", "refuse"] | None
    stream_keep_alive: float | None
    redis_url: str | None
    upstream_rate_limit: str | None
    keys_file: str | None
    metrics: bool | None
    probe_interval: float | None
    upstream_limit_on_redis_failure: Literal["refuse", "local"] | None
    key_limit_on_redis_failure: Literal["refuse", "local"] | None
    response_store_ttl: float | None
    response_store_max_bytes: int | None
    response_store_max_bytes_per_key: int | None
    response_store_max_entries_per_key: int | None


class ServeOptions(GatewayOptions, total=False):
    """The keywords of :func:`serve` besides ``host`` and ``port`` (its first two arguments)."""

    workers: int | None
    header_timeout: float | None
    max_connections: int | None
    trusted_proxies: tuple[str, ...] | list[str] | str | None


S = TypeVar("S", bound=GatewaySettings)


def _own_variables(kind: type[GatewaySettings]) -> dict[str, str]:
    """``AIODYNASPARK_<NAME>`` for the gateway's own settings; upstream ones are the client's."""
    # Matched whatever their case, as the settings have always been read.
    environment = {name.upper(): value for name, value in os.environ.items()}
    found = {}
    for name, field in kind.model_fields.items():
        value = environment.get(f"{ENV_PREFIX}{name.upper()}")
        if value is not None and library_variable(field) is None:
            found[name] = value
    return found


def flag_for(field: FieldInfo) -> Flag | None:
    """How the field shows on the command line when not derived from its name, or ``None``."""
    for mark in field.metadata:
        if isinstance(mark, Flag):
            return mark
    return None


def library_variable(field: FieldInfo) -> str | None:
    """The ``DYNASPARK_*`` variable behind an upstream setting, or ``None``."""
    for mark in field.metadata:
        if isinstance(mark, LibraryVariable):
            return mark.name
    return None


def environment_variable(name: str, field: FieldInfo) -> str:
    """The variable a setting is read from: its own, or the library's for an upstream one."""
    return library_variable(field) or f"{ENV_PREFIX}{name.upper()}"


def load_settings(kind: type[S], options: dict[str, Any]) -> S:
    """Build ``kind`` from keywords (``None`` values left out) and the environment.

    Raises:
        TypeError: An unknown setting, with the nearest known one.
        ValueError: A malformed setting, named with its variable; never the value of a key.
    """
    unknown = sorted(set(options) - set(kind.model_fields))
    if unknown:
        import difflib  # only for this mistake; a small import

        near = difflib.get_close_matches(unknown[0], kind.model_fields, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise TypeError(f"{unknown[0]!r} is not a gateway setting{hint}")
    given = {name: value for name, value in options.items() if value is not None}
    try:
        return kind(**given)
    except ValidationError as exc:
        raise ValueError(_describe(kind, exc)) from None


def _describe(kind: type[GatewaySettings], error: ValidationError) -> str:
    problems = []
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else "?"
        field = kind.model_fields.get(name)
        if field is None:  # not one field's problem
            problems.append(problem["msg"].lower())
            continue
        secret = field.repr is False
        shown = "" if secret else f", got {problem['input']!r}"
        where = environment_variable(name, field)
        problems.append(f"{name} (or ${where}): {problem['msg'].lower()}{shown}")
    return "Bad gateway setting: " + "; ".join(problems) + "."
