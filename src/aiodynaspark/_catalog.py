"""What the service offers: chat models and their aliases, image models, voices.

Declared once here; the providers, the clients' ``models`` resource, the gateway's
``/v1/models``, their docstrings' defaults and the CLI's help derive from it. The emulator
keeps its own copy on purpose: it plays the real host, which may disagree with the library.
"""

from collections.abc import Mapping

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
