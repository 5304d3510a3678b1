"""``serve``: run the gateway under uvicorn, in one process or several workers."""

import os
from collections.abc import Sequence
from typing import Any

import uvicorn
from fastapi import FastAPI

from ..client import AsyncClient
from ._app import app_from_config
from ._config import DEFAULT_MAX_BODY_BYTES, ENV_CONFIG, GatewayConfig

__all__ = ["app_from_environment", "log_config", "serve"]

# Long enough for a normal answer, short enough for a deploy not to hang on a stuck stream.
GRACEFUL_SHUTDOWN_SECONDS = 30

# The import string uvicorn's worker processes use to build their own app.
_FACTORY = "aiodynaspark.server._serve:app_from_environment"


def app_from_environment() -> FastAPI:
    """Build the app from :data:`~._config.ENV_CONFIG`: the factory of each worker process.

    ``serve(workers=N)`` writes the settings into that variable before uvicorn starts the
    workers; each worker calls this and opens its own upstream connection pool.

    Raises:
        ValueError: The variable is malformed.
    """
    return app_from_config(GatewayConfig.from_environment())


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
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    workers: int = 1,
    log_level: str = "info",
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
) -> None:
    """Run the gateway under uvicorn until interrupted (Ctrl-C or SIGTERM).

    With ``workers > 1`` uvicorn starts that many processes sharing the port, each with its
    own app and upstream connection pool; the settings reach them through the environment
    variable ``AIODYNASPARK_GATEWAY_CONFIG``, set here before they start.

    Args:
        host: The address to listen on; ``0.0.0.0`` for every interface.
        port: The port to listen on.
        workers: Processes to run; each takes requests on the same port.
        log_level: ``debug``, ``info`` (one access line per request), ``warning``...
        base_url, api_key, upstream_api_key, ui, cors_origins, max_body_bytes,
            allow_remote_images, timeout, max_retries, client: As :func:`create_app`.

    Raises:
        ValueError: A malformed setting, or ``client`` with ``workers > 1`` (a client cannot
            be handed to another process).

    Example:
        >>> serve(port=8080, api_key="secret")  # doctest: +SKIP
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a whole number from 1, got {workers!r}")
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
    options: dict[str, Any] = {
        "host": host,
        "port": port,
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
    }
    if workers == 1:
        uvicorn.run(app_from_config(config, client=client), **options)
        return
    if client is not None:
        raise ValueError("client= cannot be used with workers > 1: each worker builds its own.")
    # Built once here so a bad setting fails in this process, with a clear message.
    app_from_config(config)
    os.environ[ENV_CONFIG] = config.to_environment()
    uvicorn.run(_FACTORY, factory=True, workers=workers, **options)
