"""The gateway's two ASGI layers, each running its concerns in one pass.

Each concern lives in its own module (the metrics, the access log, the Host check, caller
keys, the body limit, the input bounds, the limits, cancel-on-disconnect) as plain
functions and objects; these two layers call them in order. A layer per concern cost every
request a coroutine per layer, a closure per wrapped ``send`` or ``receive``, and every
wake-up of the request's task a walk through all of them: the nine layers took about 9 % of
the gateway's CPU samples for a plain chat.

From the outside in: :class:`Front` (metrics and access log, which see every answer; the
Host check; HEAD answered as GET), CORS when it is on
(its headers on errors too), then :class:`Gate` (caller key, before any body is read; body
limit; input bounds, on the whole body before validation; cancel-on-disconnect, once the
body is read; the limits: a key's own limit for a request that does not call the host, and
for one that does, every limit taken by the route once its body is valid and its model
allowed, see ``ops/_admission.py``).

Pure ASGI rather than Starlette's ``BaseHTTPMiddleware``: that one runs every request in an
extra task and buffers streamed responses through a memory stream, costly on the hot path
and in the way of server-sent events.
"""

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..ops._metrics import METRICS_PATH
from ._access import CLIENT_GONE_STATUS, BodyLimit, HeadAsGet, answer_escaped, log_access, read_body
from ._bounds import InputBounds, bounds_refusal
from ._caller_keys import CallerKeys
from ._disconnect import cancel_on_disconnect
from ._hosts import HostCheck
from ._metrics import RequestMetrics
from ._quota import Quota

__all__ = ["Front", "Gate"]

# Methods whose requests carry no body to read, and wait on no upstream.
_BODYLESS = frozenset({"GET", "HEAD", "OPTIONS"})


class Front:
    """The outer layer: metrics, access log and last-resort 500, Host check, HEAD as GET.

    Args:
        app: The application inside (CORS, or the :class:`Gate`).
        hosts: The Host check.
        metrics: Where answers are counted, or ``None`` with the metrics off.
    """

    def __init__(self, app: ASGIApp, hosts: HostCheck, metrics: RequestMetrics | None) -> None:
        self.app = app
        self.head = HeadAsGet(app)
        self.hosts = hosts
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = CLIENT_GONE_STATUS
        first_byte: float | None = None

        async def observe(message: Message) -> None:
            nonlocal status, first_byte
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
            elif first_byte is None and kind == "http.response.body":
                first_byte = time.perf_counter()
            await send(message)

        # Scrapes of /metrics are not counted.
        metrics = self.metrics if scope["path"] != METRICS_PATH else None
        if metrics is not None:
            metrics.metrics.in_flight.inc()
        try:
            refusal = self.hosts.refusal(scope)
            if refusal is not None:
                await refusal.send(observe, scope["path"])
            elif scope["method"] == "HEAD":
                await self.head(scope, receive, observe)
            else:
                await self.app(scope, receive, observe)
        except Exception as exc:
            answered = await answer_escaped(exc, status != CLIENT_GONE_STATUS, scope, observe)
            status = status if answered is None else answered
        finally:
            if metrics is not None:
                metrics.metrics.in_flight.dec()
                metrics.record(scope, status, started, first_byte)
            log_access(scope, status, started)


class Gate:
    """The inner layer: caller key, body limit, input bounds, disconnect, limits.

    Args:
        app: The application inside (FastAPI's router).
        keys: The caller keys.
        body_limit: The largest body taken.
        bounds: The input bounds.
        quota: The limits.
    """

    def __init__(
        self,
        app: ASGIApp,
        keys: CallerKeys,
        body_limit: BodyLimit,
        bounds: InputBounds,
        quota: Quota,
    ) -> None:
        self.app = app
        self.keys = keys
        self.body_limit = body_limit
        self.bounds = bounds
        self.quota = quota

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.quota.run(self.app, scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.keys.refusal(scope)
        if refusal is not None:
            await refusal.send(send, scope["path"])
            return
        method = scope["method"]
        if method in _BODYLESS:
            await self.quota.run(self.app, scope, receive, send)
            return
        body = await read_body(scope, receive, send, self.body_limit)
        if body is None:
            return  # answered 413, or the caller left
        if method == "POST":
            refusal = bounds_refusal(scope, body, self.bounds)
            if refusal is not None:
                await refusal.send(send, scope["path"])
                return
        await cancel_on_disconnect(self._limited, scope, body, receive, send)
