"""What the routes of one app share: the upstream client, the image fetcher, the model list."""

from collections.abc import Callable

from ..client import AsyncClient, Model, ModelList
from ..providers import Dynaspark
from ._images import RemoteImageFetcher

__all__ = ["Gateway"]


class Gateway:
    """The state of one gateway app, for its whole life; apps share nothing.

    Args:
        make_client: Builds the upstream client (called once, in the app's lifespan).
        client: A client to use instead; its owner closes it.
        allow_remote_images: Fetch ``http(s)`` image URLs from public addresses.
    """

    def __init__(
        self,
        make_client: Callable[[], AsyncClient],
        *,
        client: AsyncClient | None = None,
        allow_remote_images: bool = False,
    ) -> None:
        self._make_client = make_client
        self._client = client
        self._owns_client = client is None
        self.fetcher = (
            RemoteImageFetcher(lambda: self.client.transport.session)
            if allow_remote_images
            else None
        )
        self.models = ModelList(data=[Model(id=model_id) for model_id in Dynaspark.get_models()])
        # The list never changes: encoded once, answered as bytes.
        self.models_json = self.models.model_dump_json().encode()

    @property
    def client(self) -> AsyncClient:
        """The upstream client; built on first use if no lifespan ran (one per app)."""
        if self._client is None:
            self._client = self._make_client()
        return self._client

    async def aclose(self) -> None:
        """Close the client's connection pool if this gateway built the client."""
        if self._owns_client and self._client is not None:
            client, self._client = self._client, None
            await client.close()
