"""The options every network command shares, and where they point: the service or the emulator.

``--offline`` starts the emulator in this process, in its own thread, and points the command
at it; proxies from the environment are then ignored, since nothing leaves the machine.
"""

import contextlib
import functools
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ._failures import CommandError

if TYPE_CHECKING:
    from ..client import AsyncClient
    from ..testing import Emulator

__all__ = [
    "ServiceOptions",
    "Target",
    "open_target",
    "queue_replies",
    "run_async",
    "service_options",
]

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class ServiceOptions:
    """What the user asked for on the command line; ``None`` defers to the environment.

    Attributes:
        base_url: ``--base-url``, or ``None`` for ``DYNASPARK_BASE_URL`` or the public host.
        timeout: ``--timeout`` seconds per attempt, or ``None`` for the configured default.
        max_retries: ``--max-retries``, or ``None`` for the configured default.
        offline: ``--offline``: use an in-process emulator instead of the service.
        deadline: ``--deadline`` seconds for the whole call, or ``None``.
        replies: ``serve --replies``: a replies file the offline emulator answers from.
    """

    base_url: str | None = None
    timeout: float | None = None
    max_retries: int | None = None
    offline: bool = False
    deadline: float | None = None
    replies: Path | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """A resolved place to send requests to.

    Attributes:
        base_url: The root URL, or ``None`` to let the library read the environment.
        timeout: Seconds per attempt, or ``None``.
        max_retries: Retries after the first attempt, or ``None``.
        trust_env: Whether ``HTTP(S)_PROXY`` apply (not for the local emulator).
        deadline: Seconds for the whole call, or ``None``.
    """

    base_url: str | None
    timeout: float | None
    max_retries: int | None
    trust_env: bool
    deadline: float | None = None

    def client(self, *, provider: str | None = None) -> "AsyncClient":
        """Build an :class:`~aiodynaspark.AsyncClient` for this target.

        Raises:
            InvalidRequestError: A malformed setting (from the options or the environment).
        """
        # Imported here: the client pulls in aiohttp and pydantic, which `--help` must not pay.
        from ..client import AsyncClient

        return AsyncClient(
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.max_retries,
            deadline=self.deadline,
            trust_env=self.trust_env,
            provider=provider,
        )


# After Ctrl-C, how long the cancelled command may take to wind down before it is stopped.
INTERRUPT_GRACE_SECONDS = 2.0


def run_async(coroutine: Coroutine[Any, Any, R]) -> R:
    """Run ``coroutine`` on a new event loop, as :func:`asyncio.run`, and make Ctrl-C final.

    Ctrl-C cancels the command, as :func:`asyncio.run` does; but a cancellation that is lost
    on the way (a race inside a library) must neither let the command finish with exit
    status 0 nor leave it waiting for an answer until a second Ctrl-C. So an interrupt always
    ends in ``KeyboardInterrupt``, at the latest ``INTERRUPT_GRACE_SECONDS`` after it.

    asyncio is imported here, not at module load: it costs ~25 ms that ``--help`` need not pay.

    Raises:
        KeyboardInterrupt: The user pressed Ctrl-C.
    """
    import asyncio
    import signal

    interrupted: list[int] = []

    async def main() -> R:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def give_up() -> None:
            if not task.done():
                raise KeyboardInterrupt

        def on_interrupt() -> None:
            interrupted.append(signal.SIGINT)
            task.cancel()
            loop.call_later(INTERRUPT_GRACE_SECONDS, give_up)

        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C raises instead
            loop.add_signal_handler(signal.SIGINT, on_interrupt)
        try:
            return await coroutine
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signal.SIGINT)

    try:
        result = asyncio.run(main())
    except asyncio.CancelledError:
        if interrupted:
            raise KeyboardInterrupt from None
        raise
    if interrupted:
        raise KeyboardInterrupt
    return result


@contextlib.contextmanager
def open_target(options: ServiceOptions) -> Iterator[Target]:
    """Yield where to send requests, running the emulator for as long as ``--offline`` needs it.

    Args:
        options: The command-line choices.

    Yields:
        The target; with ``offline`` an emulator on 127.0.0.1 serves it until the block ends.
    """
    if not options.offline:
        yield Target(
            options.base_url,
            options.timeout,
            options.max_retries,
            trust_env=True,
            deadline=options.deadline,
        )
        return
    from ..testing import Emulator

    # record=False: `serve --offline` may run for days, and nothing reads the records.
    with Emulator.run_in_thread(host="127.0.0.1", port=0, record=False) as emulator:
        if options.replies is not None:
            queue_replies(emulator, options.replies)
        yield Target(
            emulator.url,
            options.timeout,
            options.max_retries,
            trust_env=False,
            deadline=options.deadline,
        )


def queue_replies(emulator: "Emulator", path: Path) -> None:
    """Queue a replies file's replies on ``emulator``, or stop the command saying why.

    Raises:
        CommandError: The file cannot be read or is not a replies file.
    """
    try:
        count = emulator.load_replies(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot use the replies file: {exc}") from exc
    click.echo(f"Queued {count} scripted replies from {path}", err=True)


_OPTIONS = (
    click.option(
        "--base-url",
        metavar="URL",
        help="Service root (default: $DYNASPARK_BASE_URL or https://dynaspark.onrender.com).",
    ),
    click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        metavar="SECONDS",
        help="Total time per attempt (default: $DYNASPARK_TIMEOUT or 90).",
    ),
    click.option(
        "--max-retries",
        type=click.IntRange(min=0),
        metavar="N",
        help="Retries after the first attempt (default: $DYNASPARK_MAX_RETRIES or 2).",
    ),
    click.option(
        "--deadline",
        type=click.FloatRange(min=0, min_open=True),
        metavar="SECONDS",
        help="Total time for the command's request, retries and waits included "
        "(default: $DYNASPARK_DEADLINE or none).",
    ),
    click.option(
        "--offline",
        is_flag=True,
        help="Answer from the built-in emulator, started in-process: no network at all.",
    ),
)


def service_options(command: Callable[..., R]) -> Callable[..., R]:
    """Add ``--base-url``, ``--timeout``, ``--max-retries``, ``--deadline`` and ``--offline``.

    The command receives them bundled as one ``service: ServiceOptions`` keyword.
    """

    @functools.wraps(command)
    def with_service(
        *args: Any,
        base_url: str | None,
        timeout: float | None,
        max_retries: int | None,
        deadline: float | None,
        offline: bool,
        **kwargs: Any,
    ) -> R:
        if offline and base_url is not None:
            raise click.UsageError("--offline and --base-url exclude each other.")
        service = ServiceOptions(base_url, timeout, max_retries, offline, deadline)
        return command(*args, service=service, **kwargs)

    decorated: Callable[..., R] = with_service
    for option in reversed(_OPTIONS):
        decorated = option(decorated)
    return decorated
