"""Small real images and helpers shared by the tests."""

import base64
import struct
import zlib
from collections.abc import AsyncIterator


def make_png(width: int = 2, height: int = 2) -> bytes:
    """A tiny valid PNG, built by hand so the tests need no Pillow."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG = make_png()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 32 + b"\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 " + b"\x00" * 18


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


async def collect(pieces: AsyncIterator[str], seconds: float = 10.0) -> str:
    """Join an async iterator's pieces, bounded in time."""
    import asyncio

    async with asyncio.timeout(seconds):
        return "".join([piece async for piece in pieces])
