"""The gateway's Prometheus metrics: what they are, and their text at ``/metrics``.

Each app has its own registry (apps share nothing). Under ``serve(workers=N)`` the workers
are separate processes: ``prometheus-client``'s multiprocess mode (the environment variable
``PROMETHEUS_MULTIPROC_DIR``, set by :func:`~._serve.serve` before the workers start) keeps
each worker's values in a file there, and ``/metrics`` adds them up, whichever worker
answers.

No label ever holds a caller's key: only the key's *name* from the keys file (a bounded set),
``default`` for the single API key, ``anonymous`` on an open gateway, ``none`` when no valid
key was sent.
"""

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

__all__ = ["ENV_MULTIPROCESS_DIR", "KEY_SCOPE", "METRICS_PATH", "GatewayMetrics"]

METRICS_PATH = "/metrics"
# Where the caller-key middleware leaves the name of the key a request presented.
KEY_SCOPE = "aiodynaspark.key"

ENV_MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

# Seconds: from a cache-speed answer on loopback to a host waking up (about a minute).
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class GatewayMetrics:
    """The metrics of one app.

    Attributes:
        requests: Answers by ``route`` (the route's path template), ``status`` and ``key``.
        upstream_attempts: Attempts to reach the host, by ``outcome`` (``ok``, ``retried``,
            ``429``, ``5xx``, ``timeout``, ``waking``, ``error``).
        ttfb: Seconds until the answer's first body byte, by ``route``.
        duration: Seconds until the answer's end, by ``route``.
        in_flight: Requests being answered now.
        quota_remaining: Requests left, by ``limit`` (``upstream``, ``host``, ``key:NAME``),
            as of the latest decision.
        redis_failures: Times Redis did not answer a limiter or the readiness probe.
        limit_fallbacks: Requests decided without Redis, by ``action`` (``refused``,
            ``local``).
    """

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.multiprocess = bool(os.environ.get(ENV_MULTIPROCESS_DIR))
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.requests = Counter(
            "aiodynaspark_requests",
            "Answers of the gateway, by route, status and caller key name.",
            ["route", "status", "key"],
            registry=registry,
        )
        self.upstream_attempts = Counter(
            "aiodynaspark_upstream_attempts",
            "Attempts to reach Dynaspark, by outcome.",
            ["outcome"],
            registry=registry,
        )
        self.ttfb = Histogram(
            "aiodynaspark_request_ttfb_seconds",
            "Seconds from a request's arrival to the first byte of its answer's body.",
            ["route"],
            buckets=_BUCKETS,
            registry=registry,
        )
        self.duration = Histogram(
            "aiodynaspark_request_duration_seconds",
            "Seconds from a request's arrival to the end of its answer.",
            ["route"],
            buckets=_BUCKETS,
            registry=registry,
        )
        self.in_flight = Gauge(
            "aiodynaspark_requests_in_flight",
            "Requests being answered now.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.quota_remaining = Gauge(
            "aiodynaspark_quota_remaining",
            "Requests left under each limit, as of its latest decision.",
            ["limit"],
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        self.redis_failures = Counter(
            "aiodynaspark_redis_failures",
            "Times Redis did not answer.",
            registry=registry,
        )
        self.limit_fallbacks = Counter(
            "aiodynaspark_limit_fallbacks",
            "Requests decided without Redis, by what was done: refused (503) or counted locally.",
            ["action"],
            registry=registry,
        )

    def process_ended(self) -> None:
        """Drop this worker's live values (requests in flight) from the shared files."""
        if self.multiprocess:
            from prometheus_client.multiprocess import mark_process_dead

            mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]

    def render(self) -> tuple[bytes, str]:
        """The text of ``/metrics`` and its content type (Prometheus' text format)."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        registry: CollectorRegistry = self.registry
        if self.multiprocess:
            from prometheus_client import CollectorRegistry as Registry
            from prometheus_client.multiprocess import MultiProcessCollector

            # Every worker's files, not only this worker's registry.
            registry = Registry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
