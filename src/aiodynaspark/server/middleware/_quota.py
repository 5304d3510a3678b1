"""Each request held to its limits.

A ``/v1`` request meets its caller key's rate limit, if the key has one; a request that calls
the host also meets the upstream quota shared by all gateways, and whatever the host said is
left. One limiter decision covers them all. Over a limit, the answer is 429 with
``Retry-After`` at once and the host is not called; while Redis is down, a limit whose
policy is ``refuse`` gives 503.

Only a request that reaches the host spends upstream quota: this layer leaves an admission
for the route (``ops/_admission.py``), which takes it once the body is valid, the model
resolved and allowed to the key (another model gets 403), just before the call. A request
refused before that (401, 400, 404, 413, a route that does not exist) spends none, and one
the library refuses as bad input before sending anything gets back what it took.

Answers carry OpenAI's ``x-ratelimit-limit-requests``, ``-remaining-requests`` and
``-reset-requests`` for the key's own limit, or for the upstream quota when the key has none.
"""

import dataclasses
import math

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._errors import GatewayError
from ..ops._admission import Admission, AdmissionLeft, Refused
from ..ops._keys import CallerKey
from ..ops._limiter import HOST, Limit, Limiter, QuotaSettings, Taken, Verdict
from ..ops._metrics import GatewayMetrics
from ..ops._rates import Rate
from ._caller_keys import CALLER_SCOPE

__all__ = ["HOST_ROUTES", "Quota", "QuotaSettings"]

UPSTREAM = "upstream"
# The routes whose POST calls the host. Their caller key's limit is taken with the upstream
# quota, when the route is about to call (see ``ops/_admission.py``); any other request meets
# its key's limit at once.
HOST_ROUTES = frozenset(
    {
        "/v1/chat/completions",
        "/v1/responses",
        "/v1/messages",
        "/v1/images/generations",
        "/v1/audio/speech",
    }
)


def _shown(verdict: Verdict, headers: list[tuple[bytes, bytes]]) -> tuple[tuple[str, str], ...]:
    # A refusal repeats the limit's headers, but its own Retry-After.
    if verdict.unavailable:
        return ()
    return tuple(
        (name.decode(), value.decode()) for name, value in headers if name != b"retry-after"
    )


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


class Quota:
    """Applies the caller key's and the upstream limits (see the module's description).

    Args:
        limiter: Counts the requests, alone or shared through Redis.
        settings: The upstream quota and the failure policies.
        metrics: Where the quota left is shown, or ``None``.
        refunds: Give back what a request took when it ends refused as bad input before any
            attempt; only sound when the upstream client reports its attempts.
    """

    def __init__(
        self,
        limiter: Limiter,
        settings: QuotaSettings,
        metrics: GatewayMetrics | None = None,
        *,
        refunds: bool = True,
    ) -> None:
        self.limiter = limiter
        self.refunds = refunds
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

    async def run(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """Run ``app`` on a request within its limits, or answer 429 (503) in its place."""
        if not scope["path"].startswith("/v1"):
            await app(scope, receive, send)
            return
        caller: CallerKey | None = scope.get(CALLER_SCOPE)
        own: list[Limit] = []
        if caller is not None and caller.rate_limit is not None:
            own.append(self._key_limit(caller, caller.rate_limit))
        headers: list[tuple[bytes, bytes]] = []
        if own and not (scope["method"] == "POST" and scope["path"] in HOST_ROUTES):
            # A request that never calls the host meets its key's limit now, and only that.
            verdict = await self.limiter.take(own, upstream=False)
            self._show(verdict, own)
            headers.extend(verdict.decisions[0].headers())
            if not verdict.allowed:
                await _refusal(verdict, own, _shown(verdict, headers)).send(send, scope["path"])
                return
            own = []
        limits = [*own, self.upstream] if self.upstream is not None else own
        if not limits and not headers:
            # No limit of this gateway's own: only the host's word on its quota, no headers
            # to add, so the answer goes out unwrapped (streams pass here event by event).
            with AdmissionLeft(Admission(caller, self._host_allows)):
                await app(scope, receive, send)
            return

        taken: list[Verdict] = []

        async def take() -> Taken | None:
            taken.append(await self._take(limits, headers))
            return taken[-1].taken

        async def give_back(counted: Taken) -> None:
            await self.limiter.give_back(counted)
            self._given_back(taken[-1], limits, headers)

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start" and headers:
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        with AdmissionLeft(Admission(caller, take, give_back if self.refunds else None)):
            await app(scope, receive, send_with_limits)

    async def _host_allows(self) -> None:
        """Refuse a request about to call the host while the host says its quota is spent.

        Raises:
            Refused: The host said so, and its quota has not come back yet.
        """
        wait = self.limiter.host_wait()
        if wait is not None:
            raise Refused(_refusal(Verdict(False, (), wait, HOST), []))

    async def _take(self, limits: list[Limit], headers: list[tuple[bytes, bytes]]) -> Verdict:
        """Count a request about to call the host; its headers go to ``headers``.

        Returns:
            The verdict (allowed); its ``taken`` is given back if the request ends before
            any attempt.

        Raises:
            Refused: A limit is spent, or the host said its quota is.
        """
        verdict = await self.limiter.take(limits, upstream=True)
        self._show(verdict, limits)
        # The first limit is the key's own when it has one: the one the caller can act on.
        if not headers:
            headers.extend(verdict.decisions[0].headers())
        if not verdict.allowed:
            raise Refused(_refusal(verdict, limits, _shown(verdict, headers)))
        return verdict

    def _given_back(
        self, verdict: Verdict, limits: list[Limit], headers: list[tuple[bytes, bytes]]
    ) -> None:
        """Show a request given back: its answer's headers and the gauges, one more left."""
        back = Verdict(
            True,
            tuple(
                dataclasses.replace(decision, remaining=min(decision.limit, decision.remaining + 1))
                for decision in verdict.decisions
            ),
        )
        self._show(back, limits)
        remaining = str(back.decisions[0].remaining).encode()
        for index, (name, _) in enumerate(headers):
            if name == b"x-ratelimit-remaining-requests":
                headers[index] = (name, remaining)

    def _show(self, verdict: Verdict, limits: list[Limit]) -> None:
        if self.metrics is None:
            return
        gauge = self.metrics.quota_remaining
        for limit, decision in zip(limits, verdict.decisions, strict=True):
            gauge.labels(limit.name).set(decision.remaining)
        if verdict.fallback:
            action = "refused" if verdict.unavailable else "local"
            self.metrics.limit_fallbacks.labels(action).inc()
