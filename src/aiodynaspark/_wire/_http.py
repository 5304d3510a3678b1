"""The transport: one pooled session, its lifecycle, and every request's attempts.

Every request of the library goes through :meth:`Transport.send` or
:meth:`Transport.stream`; providers and clients only describe requests. Reading a body
within its bound is in :mod:`._response_body`; what each attempt ended as, and the error a
call ends with, in :mod:`._attempts`.
"""

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar

import aiohttp

from .._config import Settings, environment_proxy, redact_url
from .._errors import (
    APIConnectionError,
    APIStatusError,
    DynasparkError,
    InvalidRequestError,
    ResponseError,
)
from ._attempts import AttemptObserver, attempt_outcome, attempt_timeout, final_error
from ._lifecycle import CLIENT_CLOSED, ClientState
from ._response_body import read_body, read_error_body
from ._retry import RetryPolicy
from ._status_errors import status_error
from ._transport_errors import translate_transport_errors

__all__ = ["Decoder", "Request", "Transport"]

_log = logging.getLogger(__name__)

T = TypeVar("T")
Decoder = Callable[[aiohttp.ClientResponse, bytes], T]
"""Turns a 2xx answer (its response, for status and headers, and its whole body) into a result."""
StreamParser = Callable[[aiohttp.ClientResponse], AsyncGenerator[str, None]]


@functools.lru_cache(maxsize=32)
def _default_policy(max_retries: int, base: float, max_wait: float) -> RetryPolicy:
    # Shared by transports with the same settings: a provider call builds a transport each
    # time, and seeding a policy's random generator costs more than a request on loopback.
    return RetryPolicy(max_retries=max_retries, base=base, max_wait=max_wait)


@functools.lru_cache(maxsize=32)
def _timeouts(total: float, connect: float) -> tuple[aiohttp.ClientTimeout, aiohttp.ClientTimeout]:
    # A request's total bounds the whole attempt; a stream may run longer than any total,
    # so its timeout bounds each wait for data instead.
    return (
        aiohttp.ClientTimeout(total=total, sock_connect=connect),
        aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=total),
    )


# The URLs whose proxy a transport remembers: keyed by the whole URL, which needs no
# parsing per request; the library's endpoints (a handful per base URL) all fit.
_MAX_REMEMBERED_URLS = 64


@dataclass(slots=True)  # not frozen: a frozen init costs four times as much, per request
class Request:
    """What to send; rebuilt into a fresh aiohttp request on every attempt; never modified.

    The fields of the commonest request (a body, headers, the model) come first, so that
    it is built from positional arguments: a third cheaper than keywords, on every chat.

    Attributes:
        method: ``GET`` or ``POST``.
        url: The absolute endpoint URL, without query (the query may hold the key).
        body: The body, when it can be sent as is on every attempt.
        headers: Request headers.
        model: The model, for the log line.
        params: Query parameters.
        form: Builds the body for one attempt (a form can be sent only once); beats ``body``.
        image_size: Bytes of the attached image, for the log line.
    """

    method: str
    url: str
    body: bytes | None = None
    headers: Mapping[str, str] | None = None
    model: str | None = None
    params: Mapping[str, str] | None = None
    form: Callable[[], aiohttp.FormData] | None = None
    image_size: int | None = None


class Transport:
    """Owns one pooled aiohttp session (or borrows the caller's) and sends requests.

    Args:
        settings: The resolved configuration.
        session: An ``aiohttp.ClientSession`` to reuse; its owner closes it. Without one, the
            transport opens its own on first use and closes it in :meth:`aclose`.
        policy: The retry policy; by default one built from ``settings``.
        observer: Told how each attempt ended (the gateway's metrics and quota use it).

    Attributes:
        state: Where the transport, and so its client, is in its life: the one record of it.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        session: aiohttp.ClientSession | None = None,
        policy: RetryPolicy | None = None,
        observer: AttemptObserver | None = None,
    ) -> None:
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise InvalidRequestError(
                f"session must be an aiohttp.ClientSession, not {type(session).__name__}."
            )
        self.settings = settings
        self.observer = observer
        self._session = session
        self.state = ClientState.UNOPENED
        self._owns_session = session is None
        self.policy = policy or _default_policy(
            settings.max_retries, settings.backoff_base, settings.max_retry_wait
        )
        self._timeout, self._stream_timeout = _timeouts(settings.timeout, settings.connect_timeout)
        # aiohttp's trust_env reads the environment (proxy variables, ~/.netrc) in two
        # worker-thread calls on every request, which costs more than a whole request on a
        # fast link. The transport's own session reads the proxy variables itself instead,
        # once per endpoint URL (standard library rules: HTTP(S)_PROXY, NO_PROXY);
        # ~/.netrc is not used. A borrowed session keeps its own trust_env behaviour.
        self._env_proxies: dict[str, str | None] | None = (
            {} if session is None and settings.trust_env and settings.proxy is None else None
        )

    @property
    def session(self) -> aiohttp.ClientSession:
        """The session in use, opened on first use inside the running event loop.

        Raises:
            RuntimeError: The transport (so its client) has been closed: a closed client
                does not quietly open a new pool.
        """
        if self.state is ClientState.CLOSED:
            raise RuntimeError(CLIENT_CLOSED)
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.settings.connection_limit, ttl_dns_cache=300
            )
            # No cookie jar: the service sets no cookie the library needs, the original
            # module never kept one between requests (a session per call), and filtering
            # and storing cookies is work on every request and every answer.
            self._session = aiohttp.ClientSession(
                connector=connector,
                trust_env=False,
                timeout=self._timeout,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has run; a closed transport sends nothing more."""
        return self.state is ClientState.CLOSED

    async def aclose(self) -> None:
        """Close the session if this transport opened it; a borrowed one stays open.

        Either way the transport refuses every later request.
        """
        self.state = ClientState.CLOSED
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _proxy_for(self, url: str) -> str | None:
        proxies = self._env_proxies
        if proxies is None:
            return self.settings.proxy
        try:
            return proxies[url]
        except KeyError:
            proxy = environment_proxy(url)
            if len(proxies) < _MAX_REMEMBERED_URLS:
                proxies[url] = proxy
            return proxy

    def _open(self, request: Request, timeout: aiohttp.ClientTimeout) -> Any:
        # The open session without the property's call; the property opens or refuses.
        session = self._session if self._session is not None else self.session
        return session.request(
            request.method,
            request.url,
            params=request.params,
            data=request.body if request.form is None else request.form(),
            headers=request.headers,
            proxy=self._proxy_for(request.url),
            timeout=timeout,
            # A redirect could send the request, its key or its prompt, to another host;
            # a 3xx is reported instead (see _raise_for_status).
            allow_redirects=False,
        )

    async def _raise_for_status(self, response: aiohttp.ClientResponse, url: str) -> None:
        if 300 <= response.status < 400:
            location = response.headers.get("location", "nowhere")
            response.close()
            raise ResponseError(
                f"The service answered {response.status}, redirecting {url} to {location}; "
                "redirects are not followed, so a request never goes to another host. "
                "If the service moved, set base_url to its new address."
            )
        body = await read_error_body(response)
        headers = {k.lower(): v for k, v in response.headers.items()}
        raise status_error(response.status, body, headers, url=url, now=time.time())

    async def _backoff(
        self,
        request: Request,
        retry: int,
        error: DynasparkError,
        begun: float,
        ends: float | None,
    ) -> None:
        """Sleep before the next attempt, or raise when the policy or the deadline says stop.

        Neither a sleep nor the next attempt may pass the deadline: when the wait would
        reach it, the call ends now with the error it has.
        """
        observer = self.observer
        headers = error.headers if isinstance(error, APIStatusError) else None
        attempts = retry + 1
        out_of_time = False
        if retry < self.policy.max_retries and self.policy.is_retryable(error):
            try:
                delay = self.policy.wait_before_retry(retry, error)
            except DynasparkError:
                # The host asked for a longer wait than allowed: this attempt was the last.
                if observer is not None:
                    observer(attempt_outcome(error), headers)
                raise
            out_of_time = ends is not None and time.perf_counter() + delay >= ends
            if not out_of_time:
                if observer is not None:
                    observer("retried", headers)
                _log.warning(
                    "%s %s attempt %d failed (%s); retrying in %.2f s",
                    request.method,
                    request.url,
                    attempts,
                    type(error).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                return
        if observer is not None:
            observer(attempt_outcome(error), headers)
        elapsed = time.perf_counter() - begun
        _log.warning(
            "%s %s failed after %d attempt(s) in %.1f s: %s",
            request.method,
            request.url,
            attempts,
            elapsed,
            error,
        )
        final = final_error(self.settings, request.url, error, attempts, elapsed, ends, out_of_time)
        if final is error:
            raise error
        raise final from error

    def _log_done(self, request: Request, status: int, started: float) -> None:
        """Log a request that got its answer; called only when DEBUG is on (asked inline)."""
        _log.debug(
            "%s %s model=%s image=%s status=%d elapsed=%.1fms proxy=%s",
            request.method,
            request.url,
            request.model,
            f"{request.image_size}B" if request.image_size is not None else "none",
            status,
            (time.perf_counter() - started) * 1000,
            redact_url(proxy) if (proxy := self._proxy_for(request.url)) else "none",
        )

    async def send(self, request: Request, decode: Decoder[T]) -> T:
        """Send ``request`` with retries, read its 2xx answer whole and decode it.

        Raises:
            APIConnectionError: The service could not be reached (after the retries).
            APITimeoutError: The last attempt timed out.
            APIStatusError: The service answered non-2xx (a subclass by status).
            ResponseError: A 2xx answer that ``decode`` refused.
        """
        retry = 0
        begun = time.perf_counter()
        deadline = self.settings.deadline
        ends = None if deadline is None else begun + deadline
        while True:
            started = time.perf_counter()
            try:
                with translate_transport_errors(request.url, self.settings.timeout):
                    timeout = (
                        self._timeout
                        if ends is None
                        else attempt_timeout(self._timeout, ends, self.settings.connect_timeout)
                    )
                    async with self._open(request, timeout) as response:
                        if not 200 <= response.status < 300:
                            await self._raise_for_status(response, request.url)
                        body = await read_body(
                            response, self.settings.limits.max_response_bytes, request.url
                        )
                        result = decode(response, body)
                    if _log.isEnabledFor(logging.DEBUG):
                        self._log_done(request, response.status, started)
                    if self.observer is not None:
                        self.observer("ok", response.headers)
                    return result
            except DynasparkError as error:
                await self._backoff(request, retry, error, begun, ends)
                retry += 1

    async def send_once(self, request: Request, decode: Decoder[T], seconds: float) -> T:
        """Send ``request`` once, within ``seconds``, for a health check.

        No retry, no deadline and no observer: a check must say how the host is now, and is
        not an upstream attempt of a caller's request.

        Raises:
            APIConnectionError, APITimeoutError, APIStatusError, ResponseError: As :meth:`send`.
        """
        with translate_transport_errors(request.url, seconds):
            limit = aiohttp.ClientTimeout(total=seconds, sock_connect=seconds)
            async with self._open(request, limit) as response:
                if not 200 <= response.status < 300:
                    await self._raise_for_status(response, request.url)
                body = await read_body(
                    response, self.settings.limits.max_response_bytes, request.url
                )
                return decode(response, body)

    async def stream(self, request: Request, parse: StreamParser) -> AsyncGenerator[str, None]:
        """Send ``request`` and yield the pieces ``parse`` reads from its answer.

        Attempts are retried only until the first piece has been handed out; after that a
        broken stream raises, so no text is ever repeated.

        Raises:
            ResponseError: The stream broke after its first piece, or ended without its end
                marker.
            APIConnectionError, APIStatusError: As :meth:`send`, before the first piece.
        """
        retry = 0
        begun = time.perf_counter()
        deadline = self.settings.deadline
        ends = None if deadline is None else begun + deadline
        while True:
            started = time.perf_counter()
            handed = 0
            try:
                with translate_transport_errors(request.url, self.settings.timeout):
                    timeout = attempt_timeout(
                        self._stream_timeout, ends, self.settings.connect_timeout
                    )
                    async with (
                        self._open(request, timeout) as response,
                        contextlib.aclosing(parse(response)) as pieces,
                    ):
                        if not 200 <= response.status < 300:
                            await self._raise_for_status(response, request.url)
                        async for piece in pieces:
                            if not handed and self.observer is not None:
                                # The first piece is in: this attempt is the last one.
                                self.observer("ok", response.headers)
                            handed += 1
                            yield piece
                        if _log.isEnabledFor(logging.DEBUG):
                            self._log_done(request, response.status, started)
                        if not handed and self.observer is not None:
                            self.observer("ok", response.headers)
                        return
            except APIConnectionError as error:
                if handed:
                    _log.warning(
                        "%s %s stream broke after %d piece(s)", request.method, request.url, handed
                    )
                    raise ResponseError(
                        f"The stream from {request.url} broke after {handed} piece(s) "
                        f"({error}); the answer is incomplete."
                    ) from error
                await self._backoff(request, retry, error, begun, ends)
            except DynasparkError as error:
                if handed:
                    raise
                await self._backoff(request, retry, error, begun, ends)
            retry += 1
