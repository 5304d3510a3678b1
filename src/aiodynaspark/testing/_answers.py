"""Deterministic answers of the emulator: model catalogues, text, pieces, tokens.

Everything here is a pure function of its arguments, so tests can compute the
answer they expect from the prompt they sent.
"""

__all__ = [
    "AUDIO_MODEL",
    "DEFAULT_IMAGE_MODEL",
    "DEFAULT_MODEL",
    "DEFAULT_VOICE",
    "IMAGE_MODELS",
    "VOICES",
    "WEB_MODELS",
    "answer_for",
    "count_words",
    "detect_image_kind",
    "split_pieces",
]

# The web form's model ids, the first the default.
WEB_MODELS: tuple[str, ...] = (
    "gemini-1.5-flash",
    "gemini-1.5-flash-8b",
    "gemini-2.0-flash",
    "gemini-2.0-flash-lite",
)
"""Model ids accepted by both chat endpoints."""

DEFAULT_MODEL = WEB_MODELS[0]
"""Model reported by the REST API when the request names none."""

AUDIO_MODEL = "openai-audio"
"""REST model id that switches ``/api/generate_response`` to speech output."""

# The values /api/generate_image documents for `model`.
IMAGE_MODELS: tuple[str, ...] = ("flux", "turbo", "gptimage")
"""Model ids accepted by ``/api/generate_image``; the first is the default."""

DEFAULT_IMAGE_MODEL = IMAGE_MODELS[0]
"""Image model used when the request names none."""

# The documented values of `voice` with model=openai-audio, the first (alloy) the default.
VOICES: tuple[str, ...] = ("alloy", "echo", "fable", "onyx", "nova", "shimmer")
"""Voices accepted with ``model=openai-audio``; the first is the default."""

DEFAULT_VOICE = VOICES[0]
"""Voice used when a speech request names none."""

# Magic numbers of the accepted image types: the type is read from the bytes, not the name.
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"


def detect_image_kind(data: bytes) -> str | None:
    """Tell the image type of ``data`` from its magic bytes.

    Args:
        data: The raw file content.

    Returns:
        ``"jpeg"``, ``"png"``, ``"gif"`` or ``"webp"``; ``None`` when the bytes
        are none of those.
    """
    if data.startswith(_JPEG_MAGIC):
        return "jpeg"
    if data.startswith(_PNG_MAGIC):
        return "png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "webp"
    return None


def answer_for(model: str, prompt: str, image: bytes | None = None) -> str:
    """Compute the emulator's answer to a chat request.

    Both chat endpoints answer with this text (the REST API wraps it in
    ``{"answer": ...}`` when ``json=true``). A REST ``system`` prompt is not
    part of it: read it from the recorded request instead.

    Args:
        model: The model id the request named (the default model when none).
        prompt: The ``user_input`` text, unchanged.
        image: The uploaded image bytes, if the request carried one.

    Returns:
        ``"[model] prompt"``, followed by ``" [image KIND N bytes]"`` when an
        image came (``KIND`` is jpeg, png, gif, webp or unknown).

    Example:
        >>> answer_for("gemini-2.0-flash", "Hi")
        '[gemini-2.0-flash] Hi'
        >>> answer_for("gemini-2.0-flash", "What is it?", b"GIF89a...")
        '[gemini-2.0-flash] What is it? [image gif 9 bytes]'
    """
    text = f"[{model}] {prompt}"
    if image is None:
        return text
    kind = detect_image_kind(image) or "unknown"
    return f"{text} [image {kind} {len(image)} bytes]"


def split_pieces(answer: str) -> list[str]:
    """Split an answer into the pieces a stream sends, one word each.

    Each piece keeps its trailing space, so ``"".join(pieces) == answer``.

    Args:
        answer: The whole answer text.

    Returns:
        The pieces in order; one empty piece for an empty answer, so a stream
        always has at least one event.
    """
    words = answer.split(" ")
    pieces = [word + " " for word in words[:-1]]
    if words[-1] or not pieces:
        pieces.append(words[-1])
    return pieces


def count_words(text: str) -> int:
    """Count whitespace-separated words: the emulator's token count.

    Args:
        text: Any text.

    Returns:
        The number of words in ``text``.
    """
    return len(text.split())
