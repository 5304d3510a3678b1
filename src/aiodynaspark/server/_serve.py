"""``serve``: run the gateway under uvicorn, in one process or several workers."""

import contextlib
import inspect
import logging
import logging.config
import os
import socket
import tempfile
from collections.abc import Iterator
from typing import Any, Unpack

import uvicorn
from fastapi import FastAPI

from ..client import AsyncClient
from ._app import app_from_settings
from ._protocol import HeaderTimeoutProtocol, protocol_with_header_timeout
from ._settings import ENV_SETTINGS, GatewaySettings, ServeOptions, ServeSettings, load_settings
from .ops._metrics import ENV_MULTIPROCESS_DIR

__all__ = [
    "app_from_environment",
    "listen_socket",
    "log_config",
    "per_worker_warnings",
    "serve",
    "uvicorn_options_for",
]

_log = logging.getLogger(__name__)

# Long enough for a normal answer, short enough for a deploy not to hang on a stuck stream.
GRACEFUL_SHUTDOWN_SECONDS = 30

# The import string uvicorn's worker processes use to build their own app.
_FACTORY = "aiodynaspark.server._serve:app_from_environment"
# Seconds a worker may take to answer its supervisor's health ping, or to start, before
# uvicorn kills it. With uvicorn's 5 s, two workers on a busy 2-core machine (load 13) were
# killed and replaced again and again and the gateway never served; a hung worker is still
# replaced, only later.
WORKER_HEALTHCHECK_SECONDS = 60


def app_from_environment() -> FastAPI:
    """Build the app from :data:`~._settings.ENV_SETTINGS`: each worker process's factory.

    ``serve(workers=N)`` writes the settings into that variable before uvicorn starts the
    workers; each worker calls this and opens its own upstream connection pool.

    Raises:
        ValueError: The variable is malformed.
    """
    raw = os.environ.get(ENV_SETTINGS)
    if not raw:
        return app_from_settings(load_settings(GatewaySettings, {}))
    # Only what serve() wrote: no variable is read again, so every worker matches.
    return app_from_settings(GatewaySettings.model_validate_json(raw))


def log_config(level: str = "info") -> dict[str, Any]:
    """uvicorn's logging setup plus the gateway's loggers.

    The access lines go to stdout from ``aiodynaspark.server.access`` (uvicorn's own access log
    is off); the gateway's and the library's warnings go to stderr like uvicorn's.

    Args:
        level: The level of the gateway's loggers (``info`` shows the access log).

    Returns:
        A :func:`logging.config.dictConfig` dictionary.
    """
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "default": {
                "()": "uvicorn.logging.DefaultFormatter",
                "fmt": "%(levelprefix)s %(message)s",
                "use_colors": None,
            },
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "access": {"format": "%(asctime)s %(message)s"},
        },
        "handlers": {
            "default": {
                "formatter": "default",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
            },
            "plain": {
                "formatter": "plain",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
            },
            "access": {
                "formatter": "access",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "aiodynaspark": {"handlers": ["plain"], "level": "WARNING", "propagate": False},
            "aiodynaspark.server": {
                "handlers": ["plain"],
                "level": level.upper(),
                "propagate": False,
            },
            "aiodynaspark.server.access": {
                "handlers": ["access"],
                "level": level.upper(),
                "propagate": False,
            },
        },
    }
    return config


def serve(
    host: str | None = None,
    port: int | None = None,
    *,
    log_level: str = "info",
    client: AsyncClient | None = None,
    **options: Unpack[ServeOptions],
) -> None:
    """Run the gateway under uvicorn until interrupted (Ctrl-C or SIGTERM).

    With ``workers > 1`` uvicorn starts that many processes sharing the port, each with its
    own app and upstream connection pool; the settings reach them through the environment
    variable ``AIODYNASPARK_GATEWAY_CONFIG``, set here before they start.

    Args:
        host: The address to listen on (``AIODYNASPARK_HOST``, else ``127.0.0.1``);
            ``0.0.0.0`` for every interface.
        port: The port to listen on (``AIODYNASPARK_PORT``, else 8080).
        log_level: ``debug``, ``info`` (one access line per request), ``warning``...
        client: As :func:`create_app`.
        **options: ``workers`` (processes, each taking requests on the same port;
            ``AIODYNASPARK_WORKERS``, else 1), and every setting of :func:`create_app`.

    Raises:
        ValueError: A malformed setting, or ``client`` with ``workers > 1`` (a client cannot
            be handed to another process).
        OSError: The address cannot be listened on (say, the port is taken).

    Example:
        >>> serve(port=8080, api_key="secret")  # doctest: +SKIP
    """
    settings = load_settings(ServeSettings, {"host": host, "port": port, **options})
    if client is not None and settings.workers > 1:
        raise ValueError("client= cannot be used with workers > 1: each worker builds its own.")
    # Built here, in this process, so a bad setting fails before anything listens.
    app = app_from_settings(settings, client=client)
    uvicorn_options = uvicorn_options_for(settings, log_level)
    # Bound here rather than by uvicorn, which logs a failed bind and ends the process with
    # its own code: the caller (the CLI) gets the OSError and says it in one line.
    sock = listen_socket(settings.host, settings.port)
    if settings.workers == 1:
        server = _AnnouncingServer(uvicorn.Config(app, **uvicorn_options))
        with sock, contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
        if not server.started:
            raise RuntimeError("The gateway did not start; the log above says why.")
        return
    # uvicorn's supervisor binds the port itself (its API for a given socket changes
    # between versions): the check above released it just before, so a taken port is still
    # reported here, and only a race with another program can reach uvicorn's own message.
    sock.close()
    warnings = per_worker_warnings(settings)
    if warnings:
        # uvicorn sets this logging up only when it starts; the warning must show before.
        logging.config.dictConfig(uvicorn_options["log_config"])
        for warning in warnings:
            _log.warning("%s", warning)
    os.environ[ENV_SETTINGS] = settings.model_dump_json(include=set(GatewaySettings.model_fields))
    if "timeout_worker_healthcheck" in inspect.signature(uvicorn.Config).parameters:
        uvicorn_options["timeout_worker_healthcheck"] = WORKER_HEALTHCHECK_SECONDS
    with _metrics_directory(settings):
        uvicorn.run(_FACTORY, factory=True, workers=settings.workers, **uvicorn_options)


class _AnnouncingServer(uvicorn.Server):
    """uvicorn's server, saying where it listens once it accepts connections.

    uvicorn says so only for a socket it binds itself; the gateway hands it one, bound
    beforehand, so the line would otherwise never come and the user would have to guess.
    """

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and sockets:
            host, port = sockets[0].getsockname()[:2]
            shown = f"[{host}]" if ":" in host else host
            _log.info("Gateway listening on http://%s:%d (Ctrl-C to stop)", shown, port)


def per_worker_warnings(settings: ServeSettings) -> list[str]:
    """What several workers without Redis do differently from one: each counts alone."""
    if settings.workers < 2 or settings.redis_url is not None:
        return []
    return [
        f"{settings.workers} workers and no --redis-url: limits are counted by each worker "
        "alone (the upstream quota, the caller keys' limits, the host's own word on its "
        f"quota), so up to {settings.workers} times as many requests pass; stored responses "
        "are each worker's own too. Set --redis-url to share them."
    ]


@contextlib.contextmanager
def _metrics_directory(settings: ServeSettings) -> Iterator[None]:
    """A directory for prometheus-client's multiprocess mode, for the workers' lifetime.

    Each worker writes its values there and ``/metrics`` adds them up. A directory the
    caller set (``PROMETHEUS_MULTIPROC_DIR``) is used as is and kept.
    """
    if not settings.metrics or os.environ.get(ENV_MULTIPROCESS_DIR):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="aiodynaspark-metrics-") as directory:
        os.environ[ENV_MULTIPROCESS_DIR] = directory
        try:
            yield
        finally:
            del os.environ[ENV_MULTIPROCESS_DIR]


def uvicorn_options_for(settings: ServeSettings, log_level: str) -> dict[str, Any]:
    """The keywords of ``uvicorn.Config`` for these settings, but the app and the socket."""
    return {
        "host": settings.host,
        "port": settings.port,
        "access_log": False,
        "log_config": log_config(log_level),
        "server_header": False,
        "lifespan": "on",
        # No WebSocket routes: do not load a WebSocket library (about 2 MiB resident).
        "ws": "none",
        # The standard asyncio loop: uvloop measured no less gateway CPU per request here
        # (the time goes to Python code, not the loop) and costs 2.5 MiB more resident.
        "loop": "asyncio",
        # On SIGTERM, answers in flight (streams too) get this long to finish.
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
        # Past this many open connections or requests, uvicorn answers 503 at once.
        "limit_concurrency": settings.max_connections,
        # uvicorn believes X-Forwarded-For and -Proto from 127.0.0.1 unless told otherwise:
        # any local program could then write the client address of the access log. Only the
        # proxies named are believed; with none, the headers are not read at all.
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": list(settings.trusted_proxies),
        # The httptools parser with a header-read timeout (uvicorn's own protocols have
        # none). Worker processes get the class by name, so they keep its default timeout.
        "http": protocol_with_header_timeout(settings.header_timeout)
        if settings.workers == 1
        else HeaderTimeoutProtocol,
    }


def listen_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port``, as uvicorn binds one (``SO_REUSEADDR`` set).

    Raises:
        OSError: The address is taken, or not this machine's.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # The protocol named, not left 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only
    # on sockets that say they are TCP, and with it on, an answer written in two pieces
    # waits for the client's delayed acknowledgement, about 40 ms on Linux.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock
