"""Image parts of chat requests: data URIs pass, remote URLs are refused or fetched safely.

A gateway that fetched any URL it was given would let callers reach addresses only the
gateway can reach (cloud metadata, admin ports on localhost). Remote fetching is therefore
off by default; when enabled, it goes through the client's ``images.download`` with
``public_only=True``, which fetches from public addresses only.
"""

from collections.abc import Awaitable, Callable
from typing import TypeAlias

from ..._errors import MediaError

__all__ = ["ImageFetch", "take_image_urls"]


ImageFetch: TypeAlias = Callable[[str], Awaitable[bytes]]
"""Downloads one ``http(s)`` image URL (the client's ``images.download``, public only)."""


async def take_image_urls(
    messages: list[dict[str, object]], fetch: ImageFetch | None
) -> list[bytes]:
    """Check every ``image_url`` part; fetch remote ones and take them out of the messages.

    ``data:`` URIs stay in the messages, for the library to decode. Anything else is refused
    here: the library would read a bare string as a path on the gateway's own disk.

    Args:
        messages: The conversation as plain dicts; changed in place.
        fetch: Fetches ``http(s)`` URLs, or ``None`` to refuse them.

    Returns:
        The fetched images, for the library's ``media`` argument.

    Raises:
        MediaError: A remote URL while fetching is off, a URL of another kind, or a failed
            fetch.
    """
    remote = sum(
        1
        for message in messages
        if isinstance(content := message.get("content"), list)
        for part in content
        if isinstance(part, dict)
        and isinstance(image := part.get("image_url"), dict)
        and isinstance(url := image.get("url"), str)
        and url.startswith(("http://", "https://"))
    )
    if remote > 1:
        # Counted before any download: the service takes one image per request.
        raise MediaError(
            f"The request has {remote} remote images; the service takes one per request, "
            "so none was fetched."
        )
    fetched: list[bytes] = []
    for message in messages:
        content = message.get("content")
        if not isinstance(content, list):
            continue
        kept: list[object] = []
        for part in content:
            image = part.get("image_url") if isinstance(part, dict) else None
            url = image.get("url") if isinstance(image, dict) else None
            if not isinstance(url, str) or url.startswith("data:"):
                kept.append(part)
            elif url.startswith(("http://", "https://")):
                if fetch is None:
                    raise MediaError(
                        "Remote image URLs are refused by this gateway; send the image inline "
                        "as a data:image/...;base64, URI."
                    )
                fetched.append(await fetch(url))
            else:
                raise MediaError("An image_url must be a data:image/...;base64, URI.")
        message["content"] = kept
    return fetched
