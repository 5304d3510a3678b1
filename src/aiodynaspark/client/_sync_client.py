"""``Client``: the synchronous face of :class:`AsyncClient`, not a second implementation.

The client runs an :class:`AsyncClient` on a private event loop in a daemon thread and hands
it each call, so it works from plain code and from a thread while another loop runs
elsewhere, and keeps one connection pool for its whole life.
"""

import contextlib
import weakref
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar

from .._config import DEFAULT_STATUS_TIMEOUT, LongPrompts
from .._errors import InvalidRequestError
from .._limits import Limits
from .._wire._lifecycle import ClientState
from ._async import AsyncClient
from ._loop_thread import LoopThread
from ._models import ServiceStatus
from ._routing import ProviderChoice
from ._sync_resources import Audio, Chat, Images, Models, Stream

__all__ = ["Client", "Stream"]

T = TypeVar("T")

# How long a forgotten client may take to close its pool when it is garbage collected.
CLOSE_WHEN_FORGOTTEN_SECONDS = 2.0


class Client:
    """The synchronous OpenAI-style client; same arguments and surface as :class:`AsyncClient`.

    Use it as a context manager, or call :meth:`close`, to release its pool and thread.

    Raises:
        InvalidRequestError: A malformed setting; or a call made from inside a running event
            loop in the same thread (use :class:`AsyncClient` there).

    Example:
        >>> with Client() as client:
        ...     done = client.chat.completions.create(
        ...         messages=[{"role": "user", "content": "Hi"}]
        ...     )
        ...     print(done.choices[0].message.content)
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        proxy: str | None = None,
        *,
        deadline: float | None = None,
        provider: ProviderChoice = None,
        connection_limit: int | None = None,
        max_retry_wait: float | None = None,
        trust_env: bool = True,
        backoff_base: float | None = None,
        limits: Limits | None = None,
        long_prompts: LongPrompts | None = None,
        **unexpected: Any,
    ) -> None:
        if "session" in unexpected:
            raise InvalidRequestError(
                "Client cannot use a session= from your code: it runs its own event loop. "
                "Use AsyncClient(session=...) instead."
            )
        if unexpected:
            raise InvalidRequestError(f"Client does not take {', '.join(sorted(unexpected))}.")
        self._async = AsyncClient(
            base_url,
            api_key,
            timeout,
            max_retries,
            proxy,
            deadline=deadline,
            provider=provider,
            connection_limit=connection_limit,
            max_retry_wait=max_retry_wait,
            trust_env=trust_env,
            backoff_base=backoff_base,
            limits=limits,
            long_prompts=long_prompts,
        )
        self._runner = LoopThread()
        # A forgotten close() (`Client().chat.completions.create(...)` in a one-liner) must
        # neither leave a thread spinning nor make aiohttp warn "Unclosed connector". The
        # client sits in a reference cycle with its resources, so __del__ would come late
        # or never; a finalizer runs when it is collected, or at the latest at exit.
        self._finalizer = weakref.finalize(self, _close_forgotten, self._runner, self._async)
        self.settings = self._async.settings
        self.chat = Chat(self)
        self.images = Images(self)
        self.audio = Audio(self)
        self.models = Models(self)

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._runner.run(coroutine)

    @property
    def is_closed(self) -> bool:
        """Whether the client has been closed; a closed client sends nothing more."""
        return self._async._transport.state is ClientState.CLOSED

    def status(self, *, time_limit: float = DEFAULT_STATUS_TIMEOUT) -> ServiceStatus:
        """Ask the host's health page (``GET /status``) once; see :meth:`AsyncClient.status`.

        Raises:
            InvalidRequestError: ``time_limit`` is not a positive number.
            APIConnectionError, APIStatusError: The host is not up (see the async form).
            RuntimeError: The client is closed.
        """
        return self._run(self._async.status(time_limit=time_limit))

    def close(self) -> None:
        """Close the connection pool and stop the client's thread.

        Every later request raises ``RuntimeError("Cannot send a request, as the client has
        been closed.")``, as httpx does; closing twice is harmless.
        """
        self._finalizer.detach()
        if not self._runner.loop.is_closed():
            self._runner.run(self._async.close(), closing=True)
            self._runner.stop()

    def __enter__(self) -> Self:
        """Open the client for a ``with`` block, which closes it at the end.

        Raises:
            RuntimeError: The client is already inside a ``with`` block, or has been closed:
                one client, one block; build another client instead.
        """
        self._async._enter("Client")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _close_forgotten(runner: LoopThread, client: AsyncClient) -> None:
    # Briefly, on the client's own loop, unless that loop is gone or this is its own thread
    # (which would wait on itself); then the loop stops and the thread ends.
    if runner.loop.is_closed():
        return
    if runner.is_alive_elsewhere():
        with contextlib.suppress(Exception):
            runner.run_briefly(client.close(), CLOSE_WHEN_FORGOTTEN_SECONDS)
        runner.stop()
        return
    with contextlib.suppress(RuntimeError):
        runner.loop.call_soon_threadsafe(runner.loop.stop)
