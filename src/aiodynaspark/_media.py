"""Image inputs to bytes, with the content type read from the bytes, never from the file name."""

import base64
import binascii
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass

from ._config import MAX_IMAGE_BYTES
from ._errors import MediaError

__all__ = ["ImageUpload", "detect_image_type", "load_image", "load_media"]

_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}


@dataclass(frozen=True, slots=True)
class ImageUpload:
    """One image ready to send.

    Attributes:
        data: The image bytes.
        content_type: The MIME type read from the bytes' magic numbers.
        filename: The file name to send it under.
    """

    data: bytes
    content_type: str
    filename: str


def detect_image_type(head: bytes | bytearray | memoryview) -> str | None:
    """Tell an image's MIME type from its first bytes.

    Args:
        head: The first bytes of the data (twelve are enough).

    Returns:
        ``image/jpeg``, ``image/png``, ``image/gif`` or ``image/webp``, or ``None`` for
        anything else.
    """
    head = bytes(head[:12])
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _too_large(size: int) -> MediaError:
    return MediaError(
        f"The image is {size:,} bytes; the limit is {MAX_IMAGE_BYTES:,} bytes. "
        "Resize or compress it first."
    )


def _from_data_uri(uri: str) -> bytes:
    header, comma, payload = uri.partition(",")
    if not comma or not header.lower().endswith(";base64"):
        raise MediaError("A data URI image must be base64: data:image/...;base64,<data>.")
    if len(payload) * 3 // 4 > MAX_IMAGE_BYTES + 3:
        raise _too_large(len(payload) * 3 // 4)
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MediaError(f"The data URI's base64 is malformed: {exc}.") from None


def _from_path(path: str | os.PathLike[str]) -> tuple[bytes, str]:
    try:
        name = os.fspath(path)
        size = os.stat(name).st_size
        if size > MAX_IMAGE_BYTES:
            raise _too_large(size)
        with open(name, "rb") as file:
            return file.read(MAX_IMAGE_BYTES + 1), os.path.basename(name)
    except MediaError:
        raise
    except (OSError, TypeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise MediaError(f"Could not read the image file {path!r}: {reason}.") from None


def _from_file_object(file: object) -> bytes:
    try:
        data = file.read(MAX_IMAGE_BYTES + 1)  # type: ignore[attr-defined]
    except (OSError, ValueError) as exc:
        raise MediaError(f"Could not read the image from the file object: {exc}.") from None
    if isinstance(data, str):
        raise MediaError("The image file object is open in text mode; open it with 'rb'.")
    if not isinstance(data, bytes | bytearray):
        raise MediaError("The image file object's read() did not return bytes.")
    return bytes(data)


def _from_pil(image: object) -> bytes:
    buffer = io.BytesIO()
    fmt = getattr(image, "format", None)
    if fmt not in ("JPEG", "PNG", "GIF", "WEBP"):
        fmt = "PNG"
    try:
        image.save(buffer, format=fmt)  # type: ignore[attr-defined]
    except (OSError, ValueError, KeyError) as exc:
        raise MediaError(f"Could not encode the PIL image: {exc}.") from None
    return buffer.getvalue()


def _is_pil_image(value: object) -> bool:
    # Checked by module name so Pillow is imported only by users who pass PIL images.
    return type(value).__module__.startswith("PIL.") and hasattr(value, "save")


def load_image(source: object, filename: str | None = None) -> ImageUpload:
    """Read one image input and check that it is an image the service accepts.

    Args:
        source: Raw bytes (``bytes``, ``bytearray``, ``memoryview``), a filesystem path
            (``str`` or ``os.PathLike``), a ``data:image/...;base64,`` URI, an open binary
            file object, or a PIL image.
        filename: The name to send it under; by default the path's name or ``image.<ext>``.

    Returns:
        The image bytes with their content type, decided from the bytes alone.

    Raises:
        MediaError: The input is empty, unreadable, larger than the limit, a remote URL,
            or not a JPEG, PNG, GIF or WEBP image.
    """
    name: str | None = None
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str):
        if source.startswith("data:"):
            data = _from_data_uri(source)
        elif source.startswith(("http://", "https://")):
            raise MediaError(
                "Remote image URLs are not fetched; download the image and pass its bytes, "
                "a path or a data: URI."
            )
        elif not source:
            raise MediaError("The image path is empty.")
        else:
            data, name = _from_path(source)
    elif isinstance(source, os.PathLike):
        data, name = _from_path(source)
    elif _is_pil_image(source):
        data = _from_pil(source)
    elif hasattr(source, "read"):
        data = _from_file_object(source)
        raw_name = getattr(source, "name", None)
        name = os.path.basename(raw_name) if isinstance(raw_name, str) and raw_name else None
    else:
        raise MediaError(
            f"Unsupported image input of type {type(source).__name__}: pass bytes, a path, "
            "a data: URI, an open binary file or a PIL image."
        )
    if not data:
        raise MediaError("The image is empty (0 bytes).")
    if len(data) > MAX_IMAGE_BYTES:
        raise _too_large(len(data))
    content_type = detect_image_type(data)
    if content_type is None:
        raise MediaError(
            "The data is not a JPEG, PNG, GIF or WEBP image (checked by its first bytes)."
        )
    if filename is not None and not isinstance(filename, str):
        raise MediaError(f"An image file name must be a string, got {type(filename).__name__}.")
    chosen = filename or name or f"image.{_EXTENSIONS[content_type]}"
    return ImageUpload(data=data, content_type=content_type, filename=chosen)


def load_media(media: object, image_urls: Iterable[str] = ()) -> list[ImageUpload]:
    """Read the ``media`` argument and the images of content parts into images.

    Args:
        media: ``None``, or a list of images or ``(image, filename_or_None)`` pairs.
        image_urls: The ``image_url`` URLs found in the messages' content parts.

    Returns:
        The images, media first.

    Raises:
        MediaError: An image is invalid, or ``media`` is not a list.
    """
    images: list[ImageUpload] = []
    if media is not None:
        if not isinstance(media, list | tuple):
            raise MediaError(
                "media must be a list of images or (image, filename) pairs, "
                f"not {type(media).__name__}."
            )
        for item in media:
            if isinstance(item, tuple):
                if len(item) != 2:
                    raise MediaError("A media pair must be (image, filename_or_None).")
                images.append(load_image(item[0], item[1]))
            else:
                images.append(load_image(item))
    for url in image_urls:
        # A URL from a message is never a path: reading local files because a (possibly
        # remote) caller wrote one into an OpenAI-shaped body would be a hole.
        if not url.startswith("data:"):
            raise MediaError(
                "An image_url part must be a data:image/...;base64, URI; remote URLs are not "
                "fetched and paths are not read (pass paths through media= instead)."
            )
        images.append(load_image(url))
    return images
