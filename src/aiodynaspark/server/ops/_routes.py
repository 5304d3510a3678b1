"""The operational routes: ``/health`` (liveness), ``/health/ready`` and ``/metrics``."""

import json
from enum import Enum

from fastapi import APIRouter
from starlette.responses import Response

from ._metrics import METRICS_PATH
from ._operations import Operations

__all__ = ["build_ops_router"]

_JSON = "application/json"
_ALIVE = b'{"status":"ok"}'
_TAGS: list[str | Enum] = ["gateway"]


def build_ops_router(operations: Operations, router: APIRouter) -> APIRouter:
    """The routes a load balancer and a monitoring system ask, declared on ``router``.

    Args:
        operations: The app's probe and metrics.
        router: Where to declare them (the app's kind of router: ``core/_routing.py``).

    Returns:
        ``router``.
    """

    # Each answers HEAD too, through the app's HeadAsGet middleware.
    @router.get("/health", tags=_TAGS, summary="Liveness: the gateway is running.")
    async def health() -> Response:
        return Response(_ALIVE, media_type=_JSON)

    @router.get(
        "/health/ready",
        tags=_TAGS,
        summary="Readiness: the host answered within the probe interval, and Redis answers "
        "(degraded, still 200, past 90 % of its maxmemory).",
        responses={503: {"description": "Not ready; the body says which part is missing."}},
    )
    async def ready() -> Response:
        probe = operations.probe
        if probe is None:  # before the lifespan ran
            ok, detail = False, {"status": "not ready", "upstream": "not probed yet"}
        else:
            ok, detail = await probe.check()
        return Response(json.dumps(detail).encode(), 200 if ok else 503, media_type=_JSON)

    metrics = operations.metrics
    if metrics is not None:

        @router.get(METRICS_PATH, tags=_TAGS, include_in_schema=False)
        async def prometheus() -> Response:
            body, content_type = metrics.render()
            return Response(body, media_type=content_type)

    return router
