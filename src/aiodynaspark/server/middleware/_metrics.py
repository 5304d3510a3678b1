"""Pure ASGI middleware that counts and times every answer into :class:`GatewayMetrics`."""

import time
from collections.abc import Collection
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..ops._metrics import KEY_SCOPE, METRICS_PATH, GatewayMetrics

if TYPE_CHECKING:  # loaded with the metrics only, when they are on
    from prometheus_client import Counter, Histogram

__all__ = ["KEY_SCOPE", "METRICS_PATH", "MetricsMiddleware"]

# A path no route matched: one label value, so a scanner cannot grow the metrics.
_OTHER_ROUTE = "other"
# As in the access log: the client left before any answer.
_CLIENT_GONE = 499
# The label sets whose series are kept at hand; routes and statuses are few, key names are
# the keys file's, so the table is cleared rather than grown past this.
_MOST_SERIES = 4096

_Series = tuple["Counter", "Histogram", "Histogram"]
"""One label set's series: answers, durations, times to first byte."""


class MetricsMiddleware:
    """Counts each answer by route, status and key name; times its first byte and its end.

    The route is the matched route's path template (``/v1/models/{model}``), so ids do not
    become label values. Scrapes of ``/metrics`` itself are not counted.

    Args:
        app: The application to wrap.
        metrics: Where to count.
        paths: The app's fixed route paths, to name requests answered before routing (a
            401, say).
    """

    def __init__(self, app: ASGIApp, metrics: GatewayMetrics, paths: Collection[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.paths = frozenset(paths)
        # Finding a series by its labels (``labels()``) checks and joins them under a lock:
        # the series of each label set are looked up once.
        self._series: dict[tuple[str, int, str], _Series] = {}

    def _series_of(self, route: str, status: int, key: str) -> "_Series":
        found = self._series.get((route, status, key))
        if found is None:
            if len(self._series) >= _MOST_SERIES:
                self._series.clear()
            metrics = self.metrics
            found = self._series[(route, status, key)] = (
                metrics.requests.labels(route, str(status), key),
                metrics.duration.labels(route),
                metrics.ttfb.labels(route),
            )
        return found

    def _route(self, scope: Scope) -> str:
        route = scope.get("route")
        path = getattr(route, "path", None)
        if isinstance(path, str):
            return path
        path = scope["path"]
        return path if path in self.paths else _OTHER_ROUTE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == METRICS_PATH:
            await self.app(scope, receive, send)
            return
        metrics = self.metrics
        started = time.perf_counter()
        status = _CLIENT_GONE
        first_byte: float | None = None

        async def observe(message: Message) -> None:
            nonlocal status, first_byte
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
            elif first_byte is None and kind == "http.response.body":
                first_byte = time.perf_counter()
            await send(message)

        metrics.in_flight.inc()
        try:
            await self.app(scope, receive, observe)
        finally:
            metrics.in_flight.dec()
            ended = time.perf_counter()
            requests, duration, ttfb = self._series_of(
                self._route(scope), status, scope.get(KEY_SCOPE, "none")
            )
            requests.inc()
            duration.observe(ended - started)
            if first_byte is not None:
                ttfb.observe(first_byte - started)
