"""The `Emulator`: a local Dynaspark server on a real socket."""

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from ._control import add_control_routes
from ._faults import Fault
from ._quirks import Quirk
from ._records import RecordedRequest
from ._replies import json_error
from ._replies_file import read_replies_file
from ._rest import RestEndpoints
from ._script import ReplyFunction, ScriptedReply
from ._state import Handler, ServerState
from ._thread import serve_in_thread
from ._webform import MAX_BODY_SIZE, WebFormEndpoint

__all__ = ["Emulator", "build_app"]

_logger = logging.getLogger(__name__)

# Common proxies in front of hosts like this one refuse request lines past 8 KB (nginx's
# large_client_header_buffers default is 8k); the emulator answers 414 past it by default.
DEFAULT_URL_LIMIT = 8192
# aiohttp's own request-line limit (8,190 bytes) would answer 400 before the emulator's
# check could: raised so the emulator's limit, or none, decides.
_MAX_LINE_SIZE = 1024 * 1024

# Handlers are cancelled before the runner shuts down, so these bounds only
# matter for a handler that ignores cancellation or a request racing close().
_CANCEL_TIMEOUT = 1.0
_SHUTDOWN_TIMEOUT = 0.5


def build_app(state: ServerState) -> web.Application:
    """Build the aiohttp application serving both Dynaspark protocols.

    Args:
        state: The state its handlers share.

    Returns:
        The application: ``POST /generate_response``,
        ``GET /api/generate_response``, ``GET /api/generate_image``,
        ``GET /images/{token}.png``, ``GET /status``, and the loopback-only control
        route ``POST``/``DELETE /_emulator/replies``.
    """
    app = web.Application(client_max_size=MAX_BODY_SIZE, middlewares=[_url_limit(state)])
    rest = RestEndpoints(state)
    form = WebFormEndpoint(state)
    app.router.add_post("/generate_response", state.tracked(form.generate))
    app.router.add_get("/api/generate_response", state.tracked(rest.chat))
    app.router.add_get("/api/generate_image", state.tracked(rest.image))
    app.router.add_get("/images/{token}.png", state.tracked(rest.image_file))
    app.router.add_get("/status", state.tracked(rest.status))
    add_control_routes(app, state)
    return app


def _url_limit(state: ServerState) -> Callable[..., Any]:
    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        limit = state.url_limit
        if limit is not None and len(request.raw_path) > limit:
            return json_error(414, f"Request-URI too long (limit {limit} bytes)")
        return await handler(request)

    return check


class Emulator:
    """A faithful local Dynaspark server with deterministic answers and faults.

    It serves the web form (``POST /generate_response``), the REST API
    (``/api/generate_response``, ``/api/generate_image``), generated images
    and ``/status`` on a real TCP socket. Answers come from `answer_for`.

    Example:
        >>> async with Emulator() as emu:  # doctest: +SKIP
        ...     emu.push(Fault.waking(), None)
        ...     ...  # point the client at emu.url; it sees a 503, then an answer

    Args:
        host: Interface to listen on.
        port: TCP port; 0 lets the OS choose (read it from `url`).
        rate_limit: Requests allowed per window (all endpoints but ``/status``
            and image downloads); ``None`` for no quota. When set, answers
            carry ``X-RateLimit-*`` headers and a spent quota gives 429.
        rate_window: Length of the quota window in seconds.
        api_keys: REST keys accepted (others get 401; a single string is one
            key); ``None`` accepts any key, or none.
        stream_delay: Seconds between two events of a stream.
        cold_start: Seconds the first request after `start` waits, whatever its
            path (a waking host); requests that come meanwhile wait as long.
        latency: Seconds every service request (the three faultable
            endpoints, not ``/status`` or image downloads) waits before its
            answer.
        record: Keep every request in `requests`; off for benchmarks.
        url_limit: Longest request target (path and query) in bytes; longer ones get 414,
            as proxies in front of real hosts answer. ``None``: no limit of its own.
        require_browser_headers: The web form refuses (403) requests without the headers
            the site's own page sends, as a host behind a bot filter may.

    Raises:
        ValueError: A number is out of range.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rate_limit: int | None = None,
        rate_window: float = 3600.0,
        api_keys: Collection[str] | None = None,
        stream_delay: float = 0.0,
        cold_start: float = 0.0,
        latency: float = 0.0,
        record: bool = True,
        url_limit: int | None = DEFAULT_URL_LIMIT,
        require_browser_headers: bool = False,
    ) -> None:
        self._host = host
        self._port = port
        self._state = ServerState(
            rate_limit=rate_limit,
            rate_window=rate_window,
            api_keys=api_keys,
            stream_delay=stream_delay,
            cold_start=cold_start,
            latency=latency,
            record=record,
        )
        self._state.url_limit = url_limit
        self._state.require_browser_headers = require_browser_headers
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        """The root URL, ``http://HOST:PORT`` with the bound port.

        Raises:
            RuntimeError: The emulator is not started.
        """
        if not self._state.url:
            raise RuntimeError("the emulator is not started")
        return self._state.url

    @property
    def requests(self) -> list[RecordedRequest]:
        """Requests received since start or `reset`, in arrival order (if recording)."""
        return self._state.requests

    @property
    def peer_ports(self) -> set[int]:
        """Client TCP ports seen since start or `reset`: one per connection."""
        return self._state.peer_ports

    @property
    def disconnects(self) -> int:
        """Handlers cancelled because their client left (or the emulator closed)."""
        return self._state.disconnects

    @property
    def url_limit(self) -> int | None:
        """Longest request target answered; longer ones get 414. Settable."""
        return self._state.url_limit

    @url_limit.setter
    def url_limit(self, limit: int | None) -> None:
        self._state.url_limit = limit

    @property
    def stream_delay(self) -> float:
        """Seconds between two events of a stream; settable at run time."""
        return self._state.stream_delay

    @stream_delay.setter
    def stream_delay(self, seconds: float) -> None:
        if not seconds >= 0:
            raise ValueError(f"stream_delay must be >= 0, got {seconds!r}")
        self._state.stream_delay = seconds

    @property
    def latency(self) -> float:
        """Seconds every service request waits before its answer; settable."""
        return self._state.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if not seconds >= 0:
            raise ValueError(f"latency must be >= 0, got {seconds!r}")
        self._state.latency = seconds

    def push(self, *faults: Fault | Quirk | None) -> None:
        """Queue faults and quirks: each service request takes the next one.

        ``/status`` and image downloads take none. ``None`` in the queue
        means "answer that request normally". Queued faults go before random
        ones (see `fail_randomly`).

        Args:
            *faults: The faults, in the order requests will meet them.
        """
        self._state.faults.extend(faults)

    def push_reply(self, *replies: str, match: str | None = None) -> None:
        """Queue the model's next replies: each chat request answers with the next one.

        The emulator plays a model, so a test can drive an agent loop: push a tool call
        (``'{"tool_calls": [...]}'``), then the final answer. Only chat requests that pass
        every check and fault take a reply; the text is sent exactly as given (on the REST
        API, also with ``json=true``) and as a stream's pieces when streamed.

        Example:
            >>> emu.push_reply('{"tool_calls": [{"name": "add", "arguments": {"a": 1}}]}',
            ...                '{"content": "It is 1."}')  # doctest: +SKIP

        Args:
            *replies: The replies, in the order requests will take them.
            match: Text the prompt must hold for a request to take these replies; others
                pass them by (programs sharing one emulator keep their own replies).

        Raises:
            ValueError: More than 10,000 replies would wait.
        """
        self._state.script.push([ScriptedReply(text, match) for text in replies])

    def load_replies(self, path: str | os.PathLike[str]) -> int:
        """Queue the replies of a replies file (JSON or JSON Lines; docs/emulator.md).

        Args:
            path: The file.

        Returns:
            How many replies were queued.

        Raises:
            OSError: The file cannot be read.
            ValueError: It is not a replies file, or too many replies would wait.
        """
        replies = read_replies_file(Path(path))
        self._state.script.push(replies)
        return len(replies)

    def reply_with(self, function: ReplyFunction | None) -> None:
        """Compute each chat reply with ``function`` once pushed replies run out.

        Args:
            function: Takes a `ChatTurn` (the prompt, system prompt, model, JSON mode) and
                returns the reply, or ``None`` for the usual answer; ``None`` removes it.
        """
        self._state.script.function = function

    def fail_randomly(self, fault: Fault, rate: float = 0.05, seed: int = 0) -> None:
        """Inject ``fault`` into a random share of service requests.

        Args:
            fault: The fault to inject.
            rate: The probability per request, 0-1; 0 turns injection off.
            seed: Seed of the random generator, for repeatable runs.

        Raises:
            ValueError: ``rate`` is outside 0-1.
        """
        self._state.set_random_fault(fault, rate, seed)

    def hold(self) -> None:
        """Hold answers until `release`: streams after their first event, the web form's whole.

        Safe to call from another thread than the emulator's loop.
        """
        self._call_in_loop(self._state.hold)

    def release(self) -> None:
        """Let held answers go on (see `hold`); thread-safe."""
        self._call_in_loop(self._state.release)

    def reset(self) -> None:
        """Forget requests, peer ports, queued and random faults, scripted replies, spent quota."""
        self._state.reset()

    def _call_in_loop(self, callback: Callable[[], None]) -> None:
        # asyncio.Event is not thread-safe: set or clear it on its own loop.
        loop = self._loop
        if loop is None or loop.is_closed():
            callback()
            return
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            callback()
        else:
            loop.call_soon_threadsafe(callback)

    async def start(self) -> None:
        """Bind the socket and start serving.

        Raises:
            RuntimeError: The emulator is already started.
            OSError: The address cannot be bound.
        """
        if self._runner is not None:
            raise RuntimeError("the emulator is already started")
        runner = web.AppRunner(
            build_app(self._state),
            access_log=None,  # no per-request logging: benchmarks push thousands per second
            handler_cancellation=True,  # a client that leaves cancels its handler
            shutdown_timeout=_SHUTDOWN_TIMEOUT,
            max_line_size=_MAX_LINE_SIZE,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        port = runner.addresses[0][1]
        host = f"[{self._host}]" if ":" in self._host else self._host
        self._runner = runner
        self._loop = asyncio.get_running_loop()
        self._state.on_start(f"http://{host}:{port}")
        _logger.debug("Dynaspark emulator listening on %s", self._state.url)

    async def close(self) -> None:
        """Stop serving: cancel in-flight handlers, close every connection.

        Calling it again, or on an emulator never started, does nothing.
        """
        runner = self._runner
        if runner is None:
            return
        self._runner = None
        await self._state.cancel_inflight(_CANCEL_TIMEOUT)
        await runner.cleanup()
        self._loop = None
        _logger.debug("Dynaspark emulator at %s stopped", self._state.url)

    async def __aenter__(self) -> Self:
        """Start the emulator.

        Returns:
            The started emulator.
        """
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the emulator."""
        await self.close()

    @classmethod
    @contextlib.contextmanager
    def run_in_thread(
        cls,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rate_limit: int | None = None,
        rate_window: float = 3600.0,
        api_keys: Collection[str] | None = None,
        stream_delay: float = 0.0,
        cold_start: float = 0.0,
        latency: float = 0.0,
        record: bool = True,
        url_limit: int | None = DEFAULT_URL_LIMIT,
        require_browser_headers: bool = False,
    ) -> Iterator["Emulator"]:
        """Run an emulator on its own event loop in a daemon thread.

        For synchronous code (the CLI's ``--offline`` mode, sync tests). The
        arguments are those of `Emulator`.

        Example:
            >>> with Emulator.run_in_thread() as emu:  # doctest: +SKIP
            ...     requests.get(f"{emu.url}/status").json()
            {'status': 'ok', 'emulator': True}

        Yields:
            The started emulator; it is stopped, and its thread joined, on exit.

        Raises:
            OSError: The address cannot be bound.
            TimeoutError: The thread did not start or stop in time.
        """
        emulator = cls(
            host,
            port,
            rate_limit=rate_limit,
            rate_window=rate_window,
            api_keys=api_keys,
            stream_delay=stream_delay,
            cold_start=cold_start,
            latency=latency,
            record=record,
            url_limit=url_limit,
            require_browser_headers=require_browser_headers,
        )
        with serve_in_thread(emulator) as started:
            yield started
