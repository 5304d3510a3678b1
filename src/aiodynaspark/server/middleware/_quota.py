"""Pure ASGI middleware that holds each request to its limits before it reaches a route.

A ``/v1`` request meets its caller key's rate limit, if the key has one; a ``POST`` to ``/v1``
(every route that calls the host) also meets the upstream quota shared by all gateways, and
whatever the host said is left. One limiter decision covers them all. Over a limit, the answer
is 429 with ``Retry-After`` at once and the host is not called; while Redis is down, a limit
whose policy is ``refuse`` gives 503.

A key with a model list may only name those models: its requests' bodies are read for their
``model`` (the body is whole already; the body limit runs first) and another model gets 403.

Answers carry OpenAI's ``x-ratelimit-limit-requests``, ``-remaining-requests`` and
``-reset-requests`` for the key's own limit, or for the upstream quota when the key has none.
"""

import json
import math
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._errors import GatewayError
from ..ops._aliases import resolve_alias
from ..ops._keys import CallerKey
from ..ops._limiter import HOST, Limit, Limiter, QuotaSettings, Verdict
from ..ops._metrics import GatewayMetrics
from ..ops._rates import Rate
from ._caller_keys import CALLER_SCOPE

__all__ = ["QuotaMiddleware", "QuotaSettings"]

UPSTREAM = "upstream"


def _refusal(
    verdict: Verdict, limits: list[Limit], headers: tuple[tuple[str, str], ...] = ()
) -> GatewayError:
    wait = str(max(1, math.ceil(verdict.retry_after)))
    if verdict.unavailable:
        return GatewayError(
            503,
            "The gateway's rate limit store is not answering; try again in a moment.",
            "api_error",
            "limits_unavailable",
            headers=(("retry-after", wait),),
        )
    name = verdict.refused_by
    if name == HOST:
        what = "Dynaspark says its quota for this gateway is spent"
    elif name == UPSTREAM:
        rate = next(limit.rate for limit in limits if limit.name == UPSTREAM)
        what = f"The gateway's shared quota of {rate} requests to Dynaspark is spent"
    else:
        rate = next(limit.rate for limit in limits if limit.name == name)
        what = f"This key's rate limit of {rate} requests is spent"
    return GatewayError(
        429,
        f"{what}; retry after {wait} s.",
        "rate_limit_error",
        "rate_limit_exceeded",
        headers=(("retry-after", wait), *headers),
    )


def _named_model(body: bytes) -> object:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None  # The route refuses the body with its own message.
    return document.get("model") if isinstance(document, dict) else None


class QuotaMiddleware:
    """Applies the caller key's and the upstream limits (see the module's description).

    Args:
        app: The application to wrap.
        limiter: Counts the requests, alone or shared through Redis.
        settings: The upstream quota and the failure policies.
        metrics: Where the quota left is shown, or ``None``.
    """

    def __init__(
        self,
        app: ASGIApp,
        limiter: Limiter,
        settings: QuotaSettings,
        metrics: GatewayMetrics | None = None,
        model_aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.app = app
        self.model_aliases: Mapping[str, str] = model_aliases or {}
        self.limiter = limiter
        self.metrics = metrics
        self.keys_on_failure = settings.keys_on_failure
        self.upstream = (
            None
            if settings.upstream_rate is None
            else Limit(UPSTREAM, settings.upstream_rate, settings.upstream_on_failure)
        )
        self._key_limits: dict[tuple[str, Rate], Limit] = {}

    def _key_limit(self, caller: CallerKey, rate: Rate) -> Limit:
        # One Limit per key and rate, built once: a keys file edit that changes a rate
        # makes a new one.
        found = self._key_limits.get((caller.name, rate))
        if found is None:
            if len(self._key_limits) > 4 * 10_000:
                self._key_limits.clear()  # revoked keys' entries, after many edits
            found = self._key_limits[(caller.name, rate)] = Limit(
                "key:" + caller.name, rate, self.keys_on_failure
            )
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1"):
            await self.app(scope, receive, send)
            return
        upstream = scope["method"] == "POST"
        caller: CallerKey | None = scope.get(CALLER_SCOPE)
        limits: list[Limit] = []
        if caller is not None:
            if caller.models is not None and upstream:
                checked = await self._check_model(caller, scope, receive, send)
                if checked is None:
                    return
                receive = checked
            if caller.rate_limit is not None:
                limits.append(self._key_limit(caller, caller.rate_limit))
        if upstream and self.upstream is not None:
            limits.append(self.upstream)
        if not limits:
            wait = self.limiter.host_wait() if upstream else None
            if wait is not None:
                await _refusal(Verdict(False, (), wait, HOST), limits).send(send, scope["path"])
                return
            await self.app(scope, receive, send)
            return
        verdict = await self.limiter.take(limits, upstream=upstream)
        self._show(verdict, limits)
        # The first limit is the key's own when it has one: the one the caller can act on.
        headers = verdict.decisions[0].headers()
        if not verdict.allowed:
            shown = tuple(
                (name.decode(), value.decode())
                for name, value in headers
                if name != b"retry-after" and not verdict.unavailable
            )
            await _refusal(verdict, limits, shown).send(send, scope["path"])
            return

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        await self.app(scope, receive, send_with_limits)

    def _show(self, verdict: Verdict, limits: list[Limit]) -> None:
        if self.metrics is None:
            return
        gauge = self.metrics.quota_remaining
        for limit, decision in zip(limits, verdict.decisions, strict=True):
            gauge.labels(limit.name).set(decision.remaining)
        if verdict.fallback:
            action = "refused" if verdict.unavailable else "local"
            self.metrics.limit_fallbacks.labels(action).inc()

    async def _check_model(
        self, caller: CallerKey, scope: Scope, receive: Receive, send: Send
    ) -> Receive | None:
        message = await receive()
        body = message.get("body", b"")
        # The operator's alias is resolved first: a key allowed gemini-2.0-flash may send the
        # gpt-4o that means it, and no alias opens a model the key may not use.
        model = resolve_alias(self.model_aliases, _named_model(body))
        assert caller.models is not None
        if isinstance(model, str) and model not in caller.models:
            await GatewayError(
                403,
                f"This key may not use the model {model!r}; it may use: "
                f"{', '.join(sorted(caller.models))}.",
                code="model_not_allowed",
                param="model",
            ).send(send, scope["path"])
            return None
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return message

        return replay
