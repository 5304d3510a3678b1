"""What the routes of one app share: the upstream client, the image fetcher, the model list,
the store of Responses API answers."""

from collections.abc import Callable

from ..client import AsyncClient, Model, ModelList
from ..providers import Dynaspark
from ._images import RemoteImageFetcher
from ._store import DEFAULT_STORE_TTL, MemoryResponseStore, ResponseStore

__all__ = ["Gateway"]


class Gateway:
    """The state of one gateway app, for its whole life; apps share nothing.

    Args:
        make_client: Builds the upstream client (called once, in the app's lifespan).
        client: A client to use instead; its owner closes it.
        allow_remote_images: Fetch ``http(s)`` image URLs from public addresses.
        store: Where ``POST /v1/responses`` keeps its answers; default in memory.
        store_ttl: Seconds an answer stays in the store.
    """

    def __init__(
        self,
        make_client: Callable[[], AsyncClient],
        *,
        client: AsyncClient | None = None,
        allow_remote_images: bool = False,
        store: ResponseStore | None = None,
        store_ttl: float = DEFAULT_STORE_TTL,
    ) -> None:
        self._make_client = make_client
        self._client = client
        self._owns_client = client is None
        self.fetcher = (
            RemoteImageFetcher(lambda: self.client.transport.session)
            if allow_remote_images
            else None
        )
        self.store: ResponseStore = MemoryResponseStore() if store is None else store
        self.store_ttl = store_ttl
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
        """Close the store, and the client's connection pool if this gateway built the client."""
        await self.store.aclose()
        if self._owns_client and self._client is not None:
            client, self._client = self._client, None
            await client.close()
