"""``create_app``: the gateway's FastAPI application, wired from its settings."""

import functools
import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Unpack

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute

from .. import __version__
from ..client import AsyncClient
from ._settings import GatewayOptions, GatewaySettings, library_variable, load_settings
from .chat._routes import build_router
from .core._gateway import Gateway
from .core._handlers import install_handlers
from .core._long_chats import DROPPED_PARAMS_HEADER, STREAM_HEADER, TRUNCATION_HEADER
from .core._routing import DeclaredRouter, DeferredRoutes, direct_routes
from .core._unhonoured import IGNORED_HEADER
from .messages._routes import build_messages_router
from .middleware._access import BodyLimit
from .middleware._bounds import InputBounds
from .middleware._caller_keys import CallerKeys
from .middleware._hosts import HostCheck
from .middleware._metrics import RequestMetrics
from .middleware._pipeline import Front, Gate
from .middleware._quota import Quota
from .ops._aliases import parse_aliases
from .ops._operations import Operations
from .ops._redis_store import RedisResponseStore, StoreUnavailableError, store_unavailable
from .ops._routes import build_ops_router
from .ops._store import MemoryResponseStore
from .responses._routes import build_responses_router
from .ui._files import mount_ui

__all__ = ["app_from_settings", "create_app"]

_DESCRIPTION = (
    "An OpenAI-compatible HTTP API in front of Dynaspark. Errors use OpenAI's body "
    '{"error": {"message", "type", "param", "code"}}. With an API key set, /v1 routes need '
    "Authorization: Bearer <key> (or x-api-key: <key>). Besides Chat Completions it speaks "
    "OpenAI's Responses API (/v1/responses) and Anthropic's Messages API (/v1/messages), "
    "whose errors use Anthropic's body."
)

# The request headers a browser may send cross-origin: the key, the body's type, and what the
# official OpenAI and Anthropic JavaScript SDKs add to every request (their x-stainless-*
# platform and retry headers, the API version and beta flags, the browser opt-in); a
# preflight refusing one of them fails the SDK with "Connection error". Starlette matches
# header names exactly, so each is listed.
CORS_HEADERS = (
    "authorization",
    "content-type",
    "x-api-key",
    "anthropic-version",
    "anthropic-beta",
    "anthropic-dangerous-direct-browser-access",
    "openai-organization",
    "openai-project",
    "openai-beta",
    "idempotency-key",
    "x-stainless-arch",
    "x-stainless-async",
    "x-stainless-custom-poll-interval",
    "x-stainless-helper",
    "x-stainless-helper-method",
    "x-stainless-lang",
    "x-stainless-os",
    "x-stainless-package-version",
    "x-stainless-poll-helper",
    "x-stainless-read-timeout",
    "x-stainless-retry-count",
    "x-stainless-runtime",
    "x-stainless-runtime-version",
    "x-stainless-stream-helper",
    "x-stainless-timeout",
    TRUNCATION_HEADER,
)

# FastAPI releases with built-in OpenTelemetry look up the global tracer, meter and logger
# providers on every request once the opentelemetry API is installed (openai-agents and
# others pull it in): about 6% of the gateway's CPU per request, for spans nobody asked for.
# The gateway's own measure is /metrics; an operator who wants OpenTelemetry wraps the app.
_NO_FRAMEWORK_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


class _GatewayApp(FastAPI):
    """The app :func:`create_app` builds: its routes listed as FastAPI builds them.

    The app serves its busy routes directly and builds FastAPI's at the first request needing
    one (``core/_routing.py``); ``routes`` (and so the OpenAPI document) lists them all,
    building them in the calling thread if no request did yet.
    """

    deferred: DeferredRoutes | None = None

    @property
    def routes(self) -> list[BaseRoute]:
        """The app's routes, as FastAPI builds them."""
        routes = self.router.routes
        return routes if self.deferred is None else self.deferred.in_place(routes)


def create_app(*, client: AsyncClient | None = None, **options: Unpack[GatewayOptions]) -> FastAPI:
    """Build the gateway: an OpenAI-compatible app in front of Dynaspark.

    The app opens one :class:`~aiodynaspark.AsyncClient` (one connection pool) in its
    lifespan and closes it at shutdown. Serve it with uvicorn, or with :func:`serve`.

    Args:
        client: A client to use instead of building one (its owner closes it); then the
            upstream settings (``base_url``, ``upstream_api_key``, ``timeout``,
            ``max_retries`` ...) must be unset.
        **options: The settings of :class:`~aiodynaspark.server.GatewaySettings`, each
            defaulting to its variable: ``api_key`` (``AIODYNASPARK_API_KEY``; unset or
            empty leaves the gateway open), ``base_url`` (``DYNASPARK_BASE_URL``),
            ``upstream_api_key`` (``DYNASPARK_API_KEY``), ``timeout`` (per attempt,
            ``DYNASPARK_TIMEOUT`` or 90), ``max_retries`` (``DYNASPARK_MAX_RETRIES`` or 2),
            ``ui`` (the chat page at ``/``), ``cors_origins`` (empty: CORS off),
            ``max_body_bytes`` (413 above; 30 MiB), ``allow_remote_images`` (fetch
            ``http(s)`` image parts from public addresses), ``response_store_ttl`` (seconds a
            ``/v1/responses`` answer can be retrieved and continued; one hour),
            ``response_store_max_bytes`` (the memory for those answers, per process;
            64 MiB), ``response_store_max_bytes_per_key`` and
            ``response_store_max_entries_per_key`` (one caller key's share; 16 MiB and
            2,500); scaling out (docs/deployment.md): ``redis_url`` (limits and stored
            answers shared through Redis), ``upstream_rate_limit`` (``"100/hour"``: calls
            to Dynaspark for all gateways together), ``keys_file`` (named caller keys),
            ``metrics`` (``/metrics``; on), ``probe_interval`` (readiness; 15 s),
            ``upstream_limit_on_redis_failure`` and ``key_limit_on_redis_failure``
            (``"refuse"`` or ``"local"``). ``None`` means not given.

    Returns:
        The ASGI application.

    Raises:
        ValueError: A malformed setting (``InvalidRequestError`` for an upstream one).

    Example:
        >>> app = create_app(api_key="secret")  # then: uvicorn.run(app)
    """
    return app_from_settings(load_settings(GatewaySettings, dict(options)), client=client)


def _upstream(settings: GatewaySettings) -> dict[str, Any]:
    # The fields marked with a library variable are the client's own keywords.
    names = {"upstream_api_key": "api_key"}
    return {
        names.get(name, name): getattr(settings, name)
        for name, field in GatewaySettings.model_fields.items()
        if library_variable(field) is not None
    }


def _client_factory(
    settings: GatewaySettings, operations: Operations
) -> functools.partial[AsyncClient]:
    upstream = _upstream(settings)
    factory = functools.partial(
        AsyncClient,
        **upstream,
        long_prompts=settings.long_prompts,
        attempt_observer=operations.observe_attempt,
    )
    # Built (and closed unopened) now, so a bad setting stops the gateway at start, not at
    # its first request; a client opens no connection before its first request.
    factory()
    return factory


def app_from_settings(settings: GatewaySettings, *, client: AsyncClient | None = None) -> FastAPI:
    """Build the app from settings already merged (see :func:`create_app`).

    Raises:
        ValueError: Upstream settings together with ``client``, or a malformed setting.
    """
    if client is not None:
        given = [
            name
            for name, field in GatewaySettings.model_fields.items()
            if library_variable(field) is not None and getattr(settings, name) is not None
        ]
        if given:
            raise ValueError(
                f"client= was given, so {', '.join(given)} would be ignored; "
                "configure the client instead."
            )
    operations = Operations(
        redis_url=settings.redis_url,
        upstream_rate_limit=settings.upstream_rate_limit,
        keys_file=settings.keys_file,
        api_key=settings.api_key,
        metrics=settings.metrics,
        probe_interval=settings.probe_interval,
        upstream_limit_on_redis_failure=settings.upstream_limit_on_redis_failure,
        key_limit_on_redis_failure=settings.key_limit_on_redis_failure,
    )
    gateway = Gateway(
        _client_factory(settings, operations) if client is None else lambda: client,
        client=client,
        allow_remote_images=settings.allow_remote_images,
        store=MemoryResponseStore(
            max_bytes=settings.response_store_max_bytes,
            max_bytes_per_owner=settings.response_store_max_bytes_per_key,
            max_entries_per_owner=settings.response_store_max_entries_per_key,
        )
        if operations.redis is None
        else RedisResponseStore(
            operations.redis,
            max_bytes_per_owner=settings.response_store_max_bytes_per_key,
            max_entries_per_owner=settings.response_store_max_entries_per_key,
            on_failure=operations.redis_failed,
        ),
        store_ttl=settings.response_store_ttl,
        max_text_chars=settings.max_text_chars,
        model_aliases=parse_aliases(settings.model_aliases),
        stream_keep_alive=settings.stream_keep_alive,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Build the one client of this process now (the schema engine is loaded by the first
        # request that needs it: Gateway.load_schema_engine).
        operations.start(gateway.client.settings)
        try:
            yield
        finally:
            await operations.aclose()
            await gateway.aclose()

    app = _GatewayApp(
        title="aiodynaspark gateway",
        version=__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        **_NO_FRAMEWORK_TELEMETRY,
    )
    app.state.gateway = gateway
    install_handlers(app)
    app.add_exception_handler(StoreUnavailableError, store_unavailable)
    # Routes are matched in order: the chat completions' first, as the busiest.
    ops_router = DeclaredRouter()
    build_ops_router(operations, ops_router)
    api_routers = [
        build_router(gateway),
        ops_router,
        build_responses_router(gateway),
        build_messages_router(gateway),
    ]
    routers = list(api_routers)
    if settings.ui:
        routers.append(DeclaredRouter())
        mount_ui(routers[-1])
    # The busy routes served directly, then FastAPI's routes as declared (with the
    # /openapi.json FastAPI added), built at the first request needing one: core/_routing.py.
    app.deferred = DeferredRoutes(app.router, app.router.routes, routers)
    app.router.routes[:] = [*direct_routes(routers, app.deferred), app.deferred]
    # add_middleware puts each new layer outside the previous ones. Two layers run every
    # concern in one pass each (middleware/_pipeline.py: what runs where, and why in that
    # order), with CORS, when it is on, between them.
    app.add_middleware(
        Gate,
        keys=CallerKeys(operations.keys),
        body_limit=BodyLimit(settings.max_body_bytes),
        bounds=InputBounds(
            max_messages=settings.max_messages,
            max_content_parts=settings.max_content_parts,
            max_text_chars=settings.max_text_chars,
            max_image_parts=settings.max_image_parts,
            max_model_chars=settings.max_model_chars,
        ),
        quota=Quota(
            operations.limiter,
            operations.quota,
            operations.metrics,
            # Only the client built here reports its attempts, which a refund must see.
            refunds=client is None,
        ),
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            # A browser page reads these answer headers only when they are exposed.
            expose_headers=[
                "x-should-retry",
                IGNORED_HEADER,
                "retry-after",
                STREAM_HEADER,
                DROPPED_PARAMS_HEADER,
            ],
            allow_headers=list(CORS_HEADERS),
        )
    metrics = None
    if operations.metrics is not None:
        paths = [path for router in api_routers for path, _, _ in router.declared]
        metrics = RequestMetrics(operations.metrics, paths)
    app.add_middleware(Front, hosts=HostCheck(settings.allowed_hosts), metrics=metrics)
    return app
