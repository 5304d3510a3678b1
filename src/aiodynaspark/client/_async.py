"""``AsyncClient``: the OpenAI-style asynchronous client."""

import dataclasses
import time
from types import TracebackType
from typing import Self

import aiohttp

from .._catalog import CHAT_MODELS
from .._config import (
    DEFAULT_STATUS_TIMEOUT,
    LongPrompts,
    check_long_prompts,
    check_timeout,
    resolve_settings,
)
from .._errors import ModelNotSupportedError
from .._limits import Limits, echoed
from .._wire._attempts import AttemptObserver
from .._wire._http import Request, Transport
from .._wire._lifecycle import ClientState, entered
from ._audio import AsyncAudio
from ._chat import AsyncChat, AsyncStream
from ._engine import ChatEngine
from ._images import AsyncImages
from ._models import Model, ModelList, ServiceStatus
from ._routing import ProviderChoice, choose_providers

__all__ = ["AsyncClient", "AsyncStream"]


class AsyncModels:
    """``client.models``."""

    async def list(self) -> ModelList:
        """List the chat model ids (no request: the list is known)."""
        return ModelList(data=[Model(id=model_id) for model_id in CHAT_MODELS])

    async def retrieve(self, model: str) -> Model:
        """Describe one chat model by its id (no request).

        Raises:
            ModelNotSupportedError: No chat model has that id (aliases are not ids).
        """
        if model not in CHAT_MODELS:
            raise ModelNotSupportedError(f"The model {echoed(model)} does not exist.")
        return Model(id=model)


def _status_code(response: aiohttp.ClientResponse, body: bytes) -> int:
    return response.status


class AsyncClient:
    """An OpenAI-style asynchronous client for Dynaspark, with one connection pool.

    Args:
        base_url: The service root; default ``DYNASPARK_BASE_URL`` or the public host.
        api_key: The REST API key; default ``DYNASPARK_API_KEY`` (none is needed today).
        timeout: Total seconds per attempt; default ``DYNASPARK_TIMEOUT`` or 90.
        max_retries: Retries after the first attempt; default ``DYNASPARK_MAX_RETRIES`` or 2.
        proxy: An ``http://`` proxy URL; ``HTTP(S)_PROXY`` apply unless ``trust_env=False``.
        deadline: Total seconds one call may take, every attempt, wait and streamed answer
            included; default ``DYNASPARK_DEADLINE`` or none (``timeout`` per attempt only).
        provider: Who serves chat requests by default (see ``chat.completions.create``).
        session: An ``aiohttp.ClientSession`` to use instead of the client's own; you close it.
        connection_limit: Most simultaneous connections; default 100.
        max_retry_wait: Longest server-asked wait slept through before retrying; default 60.
        trust_env: Read proxy settings from the environment.
        backoff_base: First backoff ceiling in seconds; default 0.5.
        limits: Bounds on URL length and on what is read from the service
            (:class:`~aiodynaspark.Limits`); default ``Limits()``.
        long_prompts: What a conversation too long for the REST API's URL does (about 6 KB
            of encoded text, :class:`~aiodynaspark.Limits`): ``"web_form"`` (the default)
            sends it whole by the web form and drops the options only the REST API takes,
            naming them in ``dropped_params``; ``"refuse"`` raises
            :class:`InvalidRequestError` instead when it has such options.
        attempt_observer: Called after each attempt with its outcome and the answer's
            headers (see :data:`aiodynaspark.types.AttemptObserver`); the gateway counts
            upstream attempts and reads the host's rate limit headers with it.

    Raises:
        InvalidRequestError: A malformed setting.

    Example:
        >>> async with AsyncClient() as client:
        ...     done = await client.chat.completions.create(
        ...         model="gemini-2.0-flash", messages=[{"role": "user", "content": "Hi"}]
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
        session: aiohttp.ClientSession | None = None,
        connection_limit: int | None = None,
        max_retry_wait: float | None = None,
        trust_env: bool = True,
        backoff_base: float | None = None,
        limits: Limits | None = None,
        long_prompts: LongPrompts | None = None,
        attempt_observer: AttemptObserver | None = None,
    ) -> None:
        self.settings = resolve_settings(
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_retries=max_retries,
            deadline=deadline,
            proxy=proxy,
            connection_limit=connection_limit,
            max_retry_wait=max_retry_wait,
            trust_env=trust_env,
            backoff_base=backoff_base,
            limits=limits,
        )
        if long_prompts is not None:
            # A client's own choice, not a connection setting: the providers never see it.
            self.settings = dataclasses.replace(
                self.settings, long_prompts=check_long_prompts(long_prompts)
            )
        # Checked now so a typo fails at construction, not at the first request.
        choose_providers(provider, options={}, stream=False)
        self._transport = Transport(self.settings, session=session, observer=attempt_observer)
        self._engine = ChatEngine(self._transport, provider)
        self.chat = AsyncChat(self._engine)
        self.images = AsyncImages(self)
        self.audio = AsyncAudio(self)
        self.models = AsyncModels()

    @property
    def provider(self) -> ProviderChoice:
        """Who serves chat requests that name no provider; settable, checked when set.

        Raises:
            InvalidRequestError: On setting, an unknown provider.
        """
        return self._engine.provider

    @provider.setter
    def provider(self, choice: ProviderChoice) -> None:
        choose_providers(choice, options={}, stream=False)
        self._engine.provider = choice

    @property
    def base_url(self) -> str:
        """The service root in use."""
        return self.settings.base_url

    @property
    def is_closed(self) -> bool:
        """Whether the client has been closed; a closed client sends nothing more."""
        return self._transport.state is ClientState.CLOSED

    async def status(self, *, time_limit: float = DEFAULT_STATUS_TIMEOUT) -> ServiceStatus:
        """Ask the host's health page (``GET /status``) once: is the service up now?

        One attempt, no retry, within its own ``time_limit``, through the client's pool and
        proxy; the answer's body is read within the client's limits and not interpreted.
        The ``attempt_observer`` is not told: a check is not a request's attempt.

        Args:
            time_limit: Seconds for the whole check; default 5.

        Returns:
            The answer's status and how long it took.

        Raises:
            InvalidRequestError: ``time_limit`` is not a positive number.
            APIConnectionError: The host could not be reached (``APITimeoutError``: in time).
            APIStatusError: The host answered non-2xx (a sleeping host: 502, 503 or 504).
            RuntimeError: The client is closed.

        Example:
            >>> async with AsyncClient() as client:
            ...     up = await client.status()
            ...     print(up.status_code, f"{up.elapsed:.2f} s")
        """
        seconds = check_timeout(time_limit, "time_limit")
        started = time.perf_counter()
        request = Request("GET", self.settings.base_url + "/status")
        status = await self._transport.send_once(request, _status_code, seconds)
        return ServiceStatus(status_code=status, elapsed=time.perf_counter() - started)

    async def close(self) -> None:
        """Close the connection pool (a session passed in stays open).

        Every later request raises ``RuntimeError("Cannot send a request, as the client has
        been closed.")``, as httpx does; closing twice is harmless.
        """
        await self._transport.aclose()

    def _enter(self, owner: str) -> None:
        """Open the client for its one ``with`` block (``owner`` names the client refused)."""
        self._transport.state = entered(owner, self._transport.state)

    async def __aenter__(self) -> Self:
        """Open the client for an ``async with`` block, which closes it at the end.

        Raises:
            RuntimeError: The client is already inside an ``async with`` block, or has been
                closed: one client, one block; build another client instead.
        """
        self._enter("AsyncClient")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncClient({self.settings!r})"
