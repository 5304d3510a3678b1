"""Every answer counted and timed into :class:`GatewayMetrics`."""

import time
from collections.abc import Collection
from typing import TYPE_CHECKING

from starlette.types import Scope

from ..ops._metrics import KEY_SCOPE, METRICS_PATH, GatewayMetrics

if TYPE_CHECKING:  # loaded with the metrics only, when they are on
    from prometheus_client import Counter, Histogram

__all__ = ["KEY_SCOPE", "METRICS_PATH", "RequestMetrics"]

# A path no route matched: one label value, so a scanner cannot grow the metrics.
_OTHER_ROUTE = "other"
# The label sets whose series are kept at hand; routes and statuses are few, key names are
# the keys file's, so the table is cleared rather than grown past this.
_MOST_SERIES = 4096

_Series = tuple["Counter", "Histogram", "Histogram"]
"""One label set's series: answers, durations, times to first byte."""


class RequestMetrics:
    """Counts each answer by route, status and key name; times its first byte and its end.

    The route is the matched route's path template (``/v1/models/{model}``), so ids do not
    become label values. Scrapes of ``/metrics`` itself are not counted.

    The front layer (``_pipeline.py``) raises the in-flight gauge, notes the status and the
    first byte, and hands them here once the answer ends.

    Args:
        metrics: Where to count.
        paths: The app's fixed route paths, to name requests answered before routing (a
            401, say).
    """

    def __init__(self, metrics: GatewayMetrics, paths: Collection[str]) -> None:
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

    def record(self, scope: Scope, status: int, started: float, first_byte: float | None) -> None:
        """Count one answer and observe its times (by ``time.perf_counter``)."""
        ended = time.perf_counter()
        requests, duration, ttfb = self._series_of(
            self._route(scope), status, scope.get(KEY_SCOPE, "none")
        )
        requests.inc()
        duration.observe(ended - started)
        if first_byte is not None:
            ttfb.observe(first_byte - started)
