"""What the service offers: chat models and their aliases, image models, voices.

Declared once here; the providers, the clients' ``models`` resource, the gateway's
``/v1/models``, their docstrings' defaults and the CLI's help derive from it. The emulator
keeps its own copy on purpose: it plays the real host, which may disagree with the library.
"""

from collections.abc import Mapping
from typing import Literal

__all__ = [
    "CHAT_ALIASES",
    "CHAT_MODELS",
    "DEFAULT_CHAT_MODEL",
    "DEFAULT_IMAGE_MODEL",
    "DEFAULT_VOICE",
    "IMAGE_MODELS",
    "SPEECH_MODEL",
    "SPEECH_MODEL_NAMES",
    "VOICES",
    "ModelKind",
    "model_meant",
]

# The Gemini models the service's page offers; every one of them accepts an image on the
# web form.
CHAT_MODELS: tuple[str, ...] = (
    "gemini-1.5-flash",
    "gemini-1.5-flash-8b",
    "gemini-2.0-flash",
    "gemini-2.0-flash-lite",
)
DEFAULT_CHAT_MODEL = "gemini-1.5-flash"

# Short names that are not model ids, each naming exactly one model: an alias that named a
# model id could never apply, as an exact id always wins.
CHAT_ALIASES: Mapping[str, str] = {
    "gemini": "gemini-1.5-flash",
    "gemini-flash": "gemini-2.0-flash",
    "gemini-flash-lite": "gemini-2.0-flash-lite",
    "gemini-1.5": "gemini-1.5-flash",
    "gemini-1.5-8b": "gemini-1.5-flash-8b",
    "gemini-2.0": "gemini-2.0-flash",
    "gemini-2.0-lite": "gemini-2.0-flash-lite",
}

IMAGE_MODELS: tuple[str, ...] = ("flux", "turbo", "gptimage")
DEFAULT_IMAGE_MODEL = "flux"

# The REST API speaks with one model; OpenAI's speech model names are taken as that one, so
# code written for OpenAI runs unchanged.
SPEECH_MODEL = "openai-audio"
SPEECH_MODEL_NAMES: frozenset[str] = frozenset(
    {SPEECH_MODEL, "tts-1", "tts-1-hd", "gpt-4o-mini-tts"}
)
VOICES: tuple[str, ...] = ("alloy", "echo", "fable", "onyx", "nova", "shimmer")
DEFAULT_VOICE = "alloy"

ModelKind = Literal["chat", "image", "speech"]
"""What a request asks a model for: a chat answer, an image, or speech."""


def model_meant(kind: ModelKind, name: str | None) -> str | None:
    """The model id that serves a request naming ``name``, by the rule the clients apply.

    No name (``None``, or an empty one for a chat or an image) means the kind's default; a
    model id means itself; a chat alias means the model it names; OpenAI's speech model
    names all mean the one speech model.

    Args:
        kind: What the request asks for.
        name: The request's ``model``.

    Returns:
        The model id, or ``None`` when no model of this kind goes by ``name``.

    Example:
        >>> model_meant("chat", "gemini-flash")
        'gemini-2.0-flash'
    """
    if kind == "speech":
        return SPEECH_MODEL if name is None or name in SPEECH_MODEL_NAMES else None
    if kind == "image":
        if not name:
            return DEFAULT_IMAGE_MODEL
        return name if name in IMAGE_MODELS else None
    if not name:
        return DEFAULT_CHAT_MODEL
    return name if name in CHAT_MODELS else CHAT_ALIASES.get(name)
