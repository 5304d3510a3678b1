"""Binary answers of the emulator: fake MP3 speech and small valid PNG images.

Both are deterministic functions of the request, built with the standard
library only (no Pillow, no audio codec).
"""

import hashlib
import struct
import zlib
from dataclasses import dataclass

__all__ = ["ImageSpec", "fake_mp3", "image_seed", "image_spec", "png_bytes"]

# One MPEG-1 Layer III frame header: sync, 128 kbit/s, 44.1 kHz, no padding.
# Such a frame is 144 * 128000 / 44100 = 417 bytes long (ISO 11172-3).
_MP3_FRAME_HEADER = b"\xff\xfb\x90\x64"
_MP3_FRAME_SIZE = 417
# Enough frames for ~1-4 KB of "audio", more for a longer text.
_MP3_MIN_FRAMES = 3
_MP3_MAX_FRAMES = 9
_MP3_CHARS_PER_FRAME = 24


def _syncsafe(size: int) -> bytes:
    """Encode ``size`` as an ID3v2.4 syncsafe integer (7 bits per byte)."""
    return bytes(((size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F))


def _id3_frame(frame_id: bytes, payload: bytes) -> bytes:
    """Build one ID3v2.4 frame: id, syncsafe size, no flags, payload."""
    return frame_id + _syncsafe(len(payload)) + b"\x00\x00" + payload


def fake_mp3(text: str, voice: str) -> bytes:
    """Make deterministic MP3-looking bytes for a speech request.

    The result starts with an ID3v2.4 tag whose title is ``text`` and whose
    ``TXXX:voice`` frame is ``voice`` (both UTF-8, so a test can find them in
    the bytes), followed by MPEG frames whose content is derived from both.

    Args:
        text: The text to "speak".
        voice: The voice name.

    Returns:
        About 1-4 KB of bytes that start with ``b"ID3"``.
    """
    frames = _id3_frame(b"TIT2", b"\x03" + text.encode()) + _id3_frame(
        b"TXXX", b"\x03voice\x00" + voice.encode()
    )
    tag = b"ID3\x04\x00\x00" + _syncsafe(len(frames)) + frames
    digest = hashlib.sha256(f"{voice}\x00{text}".encode()).digest()
    body_size = _MP3_FRAME_SIZE - len(_MP3_FRAME_HEADER)
    body = (digest * (body_size // len(digest) + 1))[:body_size]
    count = min(_MP3_MAX_FRAMES, max(_MP3_MIN_FRAMES, len(text) // _MP3_CHARS_PER_FRAME + 1))
    return tag + (_MP3_FRAME_HEADER + body) * count


@dataclass(frozen=True, slots=True)
class ImageSpec:
    """What a generated image looks like: its size and its only colour.

    Attributes:
        width: Width in pixels, as requested.
        height: Height in pixels, as requested.
        rgb: The fill colour, derived from the prompt and seed.
    """

    width: int
    height: int
    rgb: tuple[int, int, int]


def image_seed(prompt: str) -> int:
    """Derive the default seed of an image request from its prompt.

    Args:
        prompt: The ``user_input`` of the request.

    Returns:
        A non-negative 31-bit integer, the same for the same prompt.
    """
    digest = hashlib.sha256(prompt.encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def image_spec(
    prompt: str, model: str, seed: int, width: int, height: int
) -> tuple[str, ImageSpec]:
    """Describe the image generated for a request and name it.

    Args:
        prompt: The ``user_input`` of the request.
        model: The image model id.
        seed: The seed (given or derived).
        width: Width in pixels.
        height: Height in pixels.

    Returns:
        The URL token (hex, the same for the same request) and the image spec.
    """
    digest = hashlib.sha256(f"{model}\x00{seed}\x00{width}x{height}\x00{prompt}".encode()).digest()
    return digest[:12].hex(), ImageSpec(width, height, (digest[12], digest[13], digest[14]))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    """Build one PNG chunk: length, type, data, CRC of type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(spec: ImageSpec) -> bytes:
    """Encode a single-colour PNG of the spec's size.

    The image is a 1-bit palette PNG, so even 2048x2048 costs about 0.5 MB of
    raw rows to compress and a few KB on the wire.

    Args:
        spec: Size and colour of the image.

    Returns:
        The bytes of a valid PNG file.
    """
    header = struct.pack(">IIBBBBB", spec.width, spec.height, 1, 3, 0, 0, 0)
    row = b"\x00" * (1 + (spec.width + 7) // 8)  # filter byte 0, then palette index 0
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"PLTE", bytes(spec.rgb)),
            _png_chunk(b"IDAT", zlib.compress(row * spec.height, 6)),
            _png_chunk(b"IEND", b""),
        )
    )
