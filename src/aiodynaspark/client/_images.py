"""``client.images``: generating an image, and downloading one by URL."""

import base64
from typing import TYPE_CHECKING, Literal, Never

from .._errors import InvalidRequestError
from .._keywords import keywords_of, unexpected_keyword
from .._wire._remote_images import fetch_public_image
from ..providers import DynasparkAPI
from ._models import Image, ImagesResponse

if TYPE_CHECKING:
    from ._async import AsyncClient

__all__ = ["AsyncImages"]


class AsyncImages:
    """``client.images``."""

    def __init__(self, client: "AsyncClient") -> None:
        self._client = client

    async def generate(
        self,
        *,
        prompt: str,
        model: str | None = None,
        size: str | None = None,
        n: int | None = None,
        response_format: Literal["url", "b64_json"] | None = None,
        seed: int | None = None,
        nologo: bool | None = None,
        wm: str | None = None,
        quality: str | None = None,
        style: str | None = None,
        user: str | None = None,
        **unexpected: Never,
    ) -> ImagesResponse:
        """Generate one image from a prompt.

        Args:
            prompt: What to draw.
            model: ``flux`` (default), ``turbo`` or ``gptimage``.
            size: ``"WIDTHxHEIGHT"``, each side 64-2048; default ``768x768``.
            n: Must be 1 (or omitted).
            response_format: ``url`` (default; valid about 24 hours) or ``b64_json`` (the
                image is downloaded and returned inline).
            seed: For reproducible images.
            nologo: Not OpenAI: ask for no logo.
            wm: Not OpenAI: custom watermark text.
            quality: Accepted and ignored, as are ``style`` and ``user``: OpenAI fields the
                service has no counterpart for.
            style: Accepted and ignored.
            user: Accepted and ignored.

        Raises:
            TypeError: An unknown keyword (the message names the nearest valid one).
            InvalidRequestError: Bad arguments, before any request.
            APIConnectionError, APIStatusError, ResponseError: As for chat.
        """
        if unexpected:
            raise unexpected_keyword("generate", unexpected, keywords_of(AsyncImages.generate))
        if n not in (None, 1):
            raise InvalidRequestError(f"n must be 1: the service makes one image, got {n!r}.")
        if response_format not in (None, "url", "b64_json"):
            raise InvalidRequestError("response_format must be 'url' or 'b64_json'.")
        params = DynasparkAPI.image_params(
            prompt, model=model, size=size, seed=seed, nologo=nologo, wm=wm
        )
        result = await DynasparkAPI.request_image(self._client._transport, params)
        if response_format == "b64_json":
            data = await self.download(result.url)
            image = Image(b64_json=base64.b64encode(data).decode("ascii"), seed=result.seed)
        else:
            image = Image(url=result.url, seed=result.seed)
        return ImagesResponse(data=[image])

    async def download(
        self, url: str, *, public_only: bool = False, time_limit: float | None = None
    ) -> bytes:
        """Download an image by URL: every image the library fetches comes through here.

        Two uses. A generated image's URL (``public_only=False``, the default) is fetched
        like a request to the service, and only from the service's own origin: retried,
        redirects not followed, the body bounded by the client's limits, and it must be an
        image. A URL a third party gave
        (``public_only=True``, as the gateway does for ``image_url`` parts) is treated as
        input: its host must resolve to public addresses only and the connection goes to
        the address checked, redirects are not followed, the download stops at the image
        size limit, and any failure is a :class:`MediaError`.

        Args:
            url: An ``http://`` or ``https://`` URL.
            public_only: Refuse hosts on private, loopback or link-local addresses.
            time_limit: Seconds for the whole download with ``public_only``; default the
                client's ``timeout``.

        Returns:
            The bytes as served (with ``public_only``, not yet checked to be an image).

        Raises:
            MediaError: With ``public_only``: a refused host, a failed, redirected or too
                large download.
            RuntimeError: The client is closed.
            ResponseError: Without ``public_only``: another origin than the service's, a
                redirect, a body over the bound, or not an image.
            APIConnectionError, APIStatusError: Without ``public_only``, as for chat.
        """
        transport = self._client._transport
        if public_only:
            limit = transport.settings.timeout if time_limit is None else time_limit
            return await fetch_public_image(transport.session, url, time_limit=limit)
        return await DynasparkAPI.download_image(transport, url)
