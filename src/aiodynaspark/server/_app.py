"""``create_app``: the gateway's FastAPI application, wired from its settings."""

import functools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from .. import __version__
from .._config import resolve_settings
from ..client import AsyncClient
from ._config import DEFAULT_MAX_BODY_BYTES, GatewayConfig
from ._gateway import Gateway
from ._handlers import install_handlers
from ._middleware import AccessLogMiddleware, ApiKeyMiddleware, BodyLimitMiddleware
from ._routes import build_router
from ._ui import load_ui_files, mount_ui

__all__ = ["app_from_config", "create_app"]

_DESCRIPTION = (
    "An OpenAI-compatible HTTP API in front of Dynaspark. Errors use OpenAI's body "
    '{"error": {"message", "type", "param", "code"}}. With an API key set, /v1 routes need '
    "Authorization: Bearer <key>."
)


def create_app(
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    upstream_api_key: str | None = None,
    ui: bool = True,
    cors_origins: Sequence[str] = (),
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    allow_remote_images: bool = False,
    timeout: float | None = None,
    max_retries: int | None = None,
    client: AsyncClient | None = None,
) -> FastAPI:
    """Build the gateway: an OpenAI-compatible app in front of Dynaspark.

    The app opens one :class:`~aiodynaspark.AsyncClient` (one connection pool) in its
    lifespan and closes it at shutdown. Serve it with uvicorn, or with :func:`serve`.

    Args:
        base_url: The Dynaspark root; default ``DYNASPARK_BASE_URL`` or the public host.
        api_key: The key callers must send as ``Authorization: Bearer <key>`` on ``/v1``
            routes; default ``AIODYNASPARK_API_KEY``; none (or empty) leaves the gateway open.
        upstream_api_key: The REST API key the gateway sends to Dynaspark; default
            ``DYNASPARK_API_KEY``.
        ui: Serve the chat page at ``/`` (``False``: ``/`` is 404).
        cors_origins: Origins allowed to call the API from a browser; empty: CORS off.
        max_body_bytes: The largest request body; larger ones get 413. Default 30 MiB, room
            for one 20 MiB image as base64.
        allow_remote_images: Fetch ``http(s)`` ``image_url`` parts (public addresses only);
            by default only ``data:`` URIs are accepted.
        timeout: Upstream seconds per attempt; default ``DYNASPARK_TIMEOUT`` or 90.
        max_retries: Upstream retries; default ``DYNASPARK_MAX_RETRIES`` or 2.
        client: A client to use instead of building one (its owner closes it); then
            ``base_url``, ``upstream_api_key``, ``timeout`` and ``max_retries`` must be unset.

    Returns:
        The ASGI application.

    Raises:
        ValueError: A malformed setting (``InvalidRequestError`` for an upstream one).

    Example:
        >>> app = create_app(api_key="secret")  # then: uvicorn.run(app)
    """
    config = GatewayConfig.build(
        base_url=base_url,
        api_key=api_key,
        upstream_api_key=upstream_api_key,
        ui=ui,
        cors_origins=cors_origins,
        max_body_bytes=max_body_bytes,
        allow_remote_images=allow_remote_images,
        timeout=timeout,
        max_retries=max_retries,
    )
    return app_from_config(config, client=client)


def _client_factory(config: GatewayConfig) -> functools.partial[AsyncClient]:
    upstream: dict[str, object] = {
        "base_url": config.base_url,
        "api_key": config.upstream_api_key,
        "timeout": config.timeout,
        "max_retries": config.max_retries,
    }
    # Checked now, so a bad setting stops the gateway at start, not at its first request.
    resolve_settings(**upstream)  # type: ignore[arg-type]
    return functools.partial(AsyncClient, **upstream)  # type: ignore[arg-type]


def app_from_config(config: GatewayConfig, *, client: AsyncClient | None = None) -> FastAPI:
    """Build the app from settings already merged (see :func:`create_app`).

    Raises:
        ValueError: Upstream settings together with ``client``, or a malformed setting.
    """
    if client is not None:
        given = [
            name
            for name in ("base_url", "upstream_api_key", "timeout", "max_retries")
            if getattr(config, name) is not None
        ]
        if given:
            raise ValueError(
                f"client= was given, so {', '.join(given)} would be ignored; "
                "configure the client instead."
            )
    gateway = Gateway(
        _client_factory(config) if client is None else lambda: client,
        client=client,
        allow_remote_images=config.allow_remote_images,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gateway.client  # noqa: B018 - build the one client of this process now
        try:
            yield
        finally:
            await gateway.aclose()

    app = FastAPI(
        title="aiodynaspark gateway",
        version=__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.gateway = gateway
    install_handlers(app)
    app.include_router(build_router(gateway))
    if config.ui:
        mount_ui(app, load_ui_files())
    # add_middleware puts each new layer outside the previous ones. From the outside in:
    # access log (sees every answer), CORS (its headers on errors too), API key (before any
    # body is read), body limit.
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=config.max_body_bytes)
    if config.api_key:
        app.add_middleware(ApiKeyMiddleware, api_key=config.api_key)
    if config.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type"],
        )
    app.add_middleware(AccessLogMiddleware)
    return app
