"""What the routes of one app share: the upstream client and what is built from it once,
the store of Responses API answers.

The gateway speaks to the service only through the client's public surface.
"""

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from pydantic_core import to_json

from ..._catalog import CHAT_ALIASES, CHAT_MODELS, IMAGE_MODELS, SPEECH_MODEL_NAMES, ModelKind
from ..._catalog import model_meant as catalog_model
from ..._errors import InvalidRequestError, ModelNotSupportedError
from ..._limits import echoed
from ..._structured import load_schema_engine
from ...client import AsyncClient
from .._settings import DEFAULT_MAX_TEXT_CHARS, DEFAULT_STREAM_KEEP_ALIVE, REMOTE_IMAGE_TIMEOUT
from ..ops._admission import current_admission
from ..ops._aliases import alias_entries, resolve_alias
from ..ops._store import DEFAULT_STORE_TTL, MemoryResponseStore, ResponseStore
from ._images import ImageFetch

__all__ = ["Gateway"]

# The chat keywords whose values the client checks with the JSON schema engine.
_SCHEMA_KEYWORDS = ("tools", "response_format")


class Gateway:
    """The state of one gateway app, for its whole life; apps share nothing.

    Args:
        make_client: Builds the upstream client (called once, in the app's lifespan).
        client: A client to use instead; its owner closes it.
        allow_remote_images: Fetch ``http(s)`` image URLs from public addresses.
        store: Where ``POST /v1/responses`` keeps its answers; default in memory.
        store_ttl: Seconds an answer stays in the store.
        max_text_chars: Most characters of text one request may send upstream, counting
            the history a stored answer brings (``previous_response_id``).
        model_aliases: The operator's model names, each mapped onto a chat model.
        stream_keep_alive: Seconds between keep-alives on a stream answered whole.
    """

    def __init__(
        self,
        make_client: Callable[[], AsyncClient],
        *,
        client: AsyncClient | None = None,
        allow_remote_images: bool = False,
        store: ResponseStore | None = None,
        store_ttl: float = DEFAULT_STORE_TTL,
        max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
        model_aliases: Mapping[str, str] | None = None,
        stream_keep_alive: float = DEFAULT_STREAM_KEEP_ALIVE,
    ) -> None:
        self._make_client = make_client
        self._client = client
        self._owns_client = client is None
        self.fetch_image: ImageFetch | None = self._fetch_public if allow_remote_images else None
        self._models_json: bytes | None = None
        self.store: ResponseStore = MemoryResponseStore() if store is None else store
        self.store_ttl = store_ttl
        self.max_text_chars = max_text_chars
        self.model_aliases: Mapping[str, str] = dict(model_aliases or {})
        self.stream_keep_alive = stream_keep_alive
        self._schema_engine_loaded = False

    async def _fetch_public(self, url: str) -> bytes:
        return await self.client.images.download(
            url, public_only=True, time_limit=REMOTE_IMAGE_TIMEOUT
        )

    async def load_schema_engine(self, options: Mapping[str, Any]) -> None:
        """Load the JSON schema engine off the event loop, before the first request needing it.

        Its import takes 50-300 ms of native code: on the event loop it would stall every
        request in flight, and loaded at start it would hold about 3 MiB in every gateway,
        also in those that never see a schema. In a thread the loop goes on serving; only
        the first request with tools or a ``response_format`` waits for it.
        """
        if self._schema_engine_loaded or not any(options.get(k) for k in _SCHEMA_KEYWORDS):
            return
        await asyncio.to_thread(load_schema_engine)
        self._schema_engine_loaded = True

    def model(self, name: str | None) -> str | None:
        """The model a request names, the operator's aliases resolved."""
        resolved = resolve_alias(self.model_aliases, name)
        return resolved if isinstance(resolved, str) else name

    async def models_json(self) -> bytes:
        """The client's model list and the operator's aliases as JSON, encoded once."""
        if self._models_json is None:
            models = (await self.client.models.list()).model_dump()
            models["data"].extend(alias_entries(self.model_aliases))
            self._models_json = to_json(models)
        return self._models_json

    async def admit(self, kind: ModelKind, model: str | None) -> str:
        """Resolve the model a request names, and admit the request to the host.

        Every route that calls the host calls this first, with its validated body's
        ``model``, and sends the model returned: the model checked against the caller's key
        is the model used. The request's limits are taken here, so a request refused before
        (or for an unknown model) spends no quota.

        Returns:
            The model id to send.

        Raises:
            ModelNotSupportedError: No chat model goes by that name.
            InvalidRequestError: No image or speech model goes by that name.
            Refused: The key may not use the model, or a limit is spent.
        """
        meant = self.model_meant(kind, model)
        if meant is None:
            raise _unknown(kind, model)
        pending = current_admission()
        if pending is not None:
            await pending.admit(meant, lambda allowed: self.model_meant(kind, allowed))
        return meant

    def model_meant(self, kind: ModelKind, name: str | None) -> str | None:
        """The model id that serves ``name``: the operator's alias, then the catalog's rule.

        The one resolution of a request's model; a key's model list is read by it too.
        """
        if kind == "chat":
            name = self.model(name)
        return catalog_model(kind, name)

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


def _unknown(kind: ModelKind, model: str | None) -> Exception:
    if kind == "chat":
        aliases = ", ".join(f"{alias} -> {model}" for alias, model in CHAT_ALIASES.items())
        return ModelNotSupportedError(
            f"No chat model is called {echoed(model)}. Models: {', '.join(CHAT_MODELS)}. "
            f"Aliases: {aliases}."
        )
    names = IMAGE_MODELS if kind == "image" else sorted(SPEECH_MODEL_NAMES)
    return InvalidRequestError(
        f"Unknown {kind} model {echoed(model)}; choose one of {', '.join(names)}."
    )
