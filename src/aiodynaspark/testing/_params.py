"""Validation of REST query parameters, as the real service would do it.

Every problem raises `BadRequest` with a message naming the parameter and
what it accepts; handlers turn it into ``400 {"error": message}``.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from ._answers import (
    AUDIO_MODEL,
    DEFAULT_IMAGE_MODEL,
    DEFAULT_MODEL,
    DEFAULT_VOICE,
    IMAGE_MODELS,
    VOICES,
    WEB_MODELS,
)
from ._media import image_seed

__all__ = [
    "BadRequest",
    "ChatQuery",
    "ImageQuery",
    "check_api_key",
    "parse_chat_query",
    "parse_image_query",
    "require_prompt",
]

# The ranges the REST API documents for the sampling parameters.
_FLOAT_RANGES: tuple[tuple[str, float, float], ...] = (
    ("temperature", 0.0, 3.0),
    ("top_p", 0.0, 1.0),
    ("presence_penalty", -2.0, 2.0),
    ("frequency_penalty", -2.0, 2.0),
)
# The REST API documents image sides of 64-2048, default 768.
_MIN_SIDE = 64
_MAX_SIDE = 2048
_DEFAULT_SIDE = 768
_CHAT_MODELS = frozenset((*WEB_MODELS, AUDIO_MODEL))
_IMAGE_MODELS = frozenset(IMAGE_MODELS)
_VOICES = frozenset(VOICES)


class BadRequest(Exception):
    """A request the service refuses; ``str(exc)`` is the message.

    Args:
        message: What is wrong, naming the parameter.
        status: The HTTP status of the refusal (400 unless told).
    """

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class ChatQuery:
    """A valid ``/api/generate_response`` request.

    Attributes:
        user_input: The prompt.
        model: The model id (the default when the request named none).
        system: The system prompt, ``""`` when none.
        json: Whether a JSON answer was asked for.
        stream: Whether server-sent events were asked for.
        voice: The voice for ``openai-audio``.
    """

    user_input: str
    model: str
    system: str
    json: bool
    stream: bool
    voice: str


@dataclass(frozen=True, slots=True)
class ImageQuery:
    """A valid ``/api/generate_image`` request.

    Attributes:
        user_input: The prompt.
        model: The image model id.
        width: Width in pixels.
        height: Height in pixels.
        seed: The seed, given or derived from the prompt.
    """

    user_input: str
    model: str
    width: int
    height: int
    seed: int


def require_prompt(value: str | None, name: str = "user_input") -> str:
    """Check that a required prompt is present and not blank.

    Args:
        value: The raw value, ``None`` when absent.
        name: The parameter name, for the message.

    Returns:
        The value, unchanged.

    Raises:
        BadRequest: It is missing or blank.
    """
    if value is None or not value.strip():
        raise BadRequest(f"Missing required parameter: {name}")
    return value


def check_api_key(query: Mapping[str, str], api_keys: frozenset[str] | None) -> None:
    """Check the ``api_key`` parameter against the configured keys.

    Args:
        query: The query parameters.
        api_keys: The accepted keys; ``None`` accepts any key, or none.

    Raises:
        BadRequest: With status 401, when keys are configured and the request's
            key is missing or not one of them.
    """
    if api_keys is not None and query.get("api_key") not in api_keys:
        raise BadRequest("Invalid API key", status=401)


def _parse_bool(query: Mapping[str, str], name: str) -> bool:
    value = query.get(name)
    if value is None or value == "false":
        return False
    if value == "true":
        return True
    raise BadRequest(f"Invalid {name}: must be 'true' or 'false', got {value!r}")


def _parse_int(query: Mapping[str, str], name: str) -> int | None:
    value = query.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"Invalid {name}: must be an integer, got {value!r}") from None


def _check_floats(query: Mapping[str, str]) -> None:
    for name, low, high in _FLOAT_RANGES:
        value = query.get(name)
        if value is None:
            continue
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not low <= number <= high:  # also refuses nan
            raise BadRequest(f"Invalid {name}: must be a number between {low} and {high}")


def parse_chat_query(query: Mapping[str, str]) -> ChatQuery:
    """Validate the parameters of ``/api/generate_response``.

    Args:
        query: The query parameters.

    Returns:
        The parameters the answer depends on.

    Raises:
        BadRequest: A parameter is missing, malformed or out of range.
    """
    user_input = require_prompt(query.get("user_input"))
    model = query.get("model") or DEFAULT_MODEL
    if model not in _CHAT_MODELS:
        raise BadRequest(f"Invalid model: {model}")
    _check_floats(query)
    as_json = _parse_bool(query, "json")
    stream = _parse_bool(query, "stream")
    _parse_bool(query, "private")
    _parse_int(query, "seed")
    voice = query.get("voice") or DEFAULT_VOICE
    if voice not in _VOICES:
        raise BadRequest(f"Invalid voice: {voice}. Valid voices: {', '.join(VOICES)}")
    return ChatQuery(user_input, model, query.get("system", ""), as_json, stream, voice)


def _parse_side(query: Mapping[str, str], name: str) -> int:
    value = query.get(name)
    if value is None:
        return _DEFAULT_SIDE
    try:
        side = int(value)
    except ValueError:
        side = 0
    if not _MIN_SIDE <= side <= _MAX_SIDE:
        raise BadRequest(f"Invalid {name}: must be an integer between {_MIN_SIDE} and {_MAX_SIDE}")
    return side


def parse_image_query(query: Mapping[str, str]) -> ImageQuery:
    """Validate the parameters of ``/api/generate_image``.

    Args:
        query: The query parameters.

    Returns:
        The parameters the image depends on.

    Raises:
        BadRequest: A parameter is missing, malformed or out of range.
    """
    user_input = require_prompt(query.get("user_input"))
    model = query.get("model") or DEFAULT_IMAGE_MODEL
    if model not in _IMAGE_MODELS:
        raise BadRequest(f"Invalid model: {model}")
    width = _parse_side(query, "width")
    height = _parse_side(query, "height")
    _parse_bool(query, "nologo")
    seed = _parse_int(query, "seed")
    if seed is None:
        seed = image_seed(user_input)
    return ImageQuery(user_input, model, width, height, seed)
