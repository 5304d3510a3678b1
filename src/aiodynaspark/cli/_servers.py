"""``aiodynaspark serve`` (the OpenAI-compatible gateway) and ``emulator``: foreground servers."""

import contextlib
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from ._failures import CommandError, MissingExtraError
from ._service import ServiceOptions, open_target, queue_replies, run_async
from ._settings_options import SettingsCommand, given_on_command_line

if TYPE_CHECKING:
    from ..testing import Emulator

__all__ = ["emulator", "serve"]

# The documented default ports: the gateway on 8080, the emulator beside it on 8090.
GATEWAY_PORT = 8080
EMULATOR_PORT = 8090
# Modules of the 'server' extra: their absence is a missing extra, not a bug.
_SERVER_EXTRA_MODULES = frozenset({"fastapi", "uvicorn", "starlette"})


def _gateway_settings() -> tuple[Any, Any, Any]:
    try:
        from ..server._settings import ServeSettings, environment_variable, flag_for
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in _SERVER_EXTRA_MODULES:
            raise MissingExtraError("The gateway", "server") from exc
        raise
    return ServeSettings, flag_for, environment_variable


@click.command(
    cls=SettingsCommand,
    load=_gateway_settings,
    short_help="Run the OpenAI-compatible gateway.",
)
@click.option(
    "--offline", is_flag=True, help="Forward to the built-in emulator instead of Dynaspark."
)
@click.option(
    "--replies",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help="With --offline: the emulator's model answers from this replies file (JSON or "
    "JSON Lines: text, tool calls, JSON answers; see docs/emulator.md).",
)
@click.pass_context
def serve(ctx: click.Context, /, offline: bool, replies: Path | None, **settings: Any) -> None:
    """Run the OpenAI-compatible gateway until Ctrl-C (needs the 'server' extra).

    Every option can also be set by its environment variable, shown in brackets.

    \b
    Example:
      aiodynaspark serve --port 8080 --api-key secret
      curl -H 'Authorization: Bearer secret' http://127.0.0.1:8080/v1/models
    """
    given = given_on_command_line(ctx, settings)
    if offline and "base_url" in given:
        raise click.UsageError("--offline and --base-url exclude each other.")
    if replies is not None and not offline:
        raise click.UsageError("--replies scripts the emulator: it needs --offline.")
    from ..server import serve as run_gateway
    from ..server.ops._keys import KeysFileError

    verbose = bool(ctx.find_root().params.get("verbose"))
    with (
        open_target(ServiceOptions(offline=offline, replies=replies)) as target,
        _sigint_seen() as seen,
    ):
        if offline:
            given["base_url"] = target.base_url
        try:
            run_gateway(log_level="debug" if verbose else "info", **given)
        except KeysFileError as exc:
            raise CommandError(str(exc)) from exc
        except ValueError as exc:
            # The gateway checks its settings before it listens: a bad value given here.
            raise click.UsageError(str(exc), ctx) from exc
        except OSError as exc:
            raise CommandError(_cannot_listen(given, exc, GATEWAY_PORT)) from exc
    if seen:
        # uvicorn shuts down gracefully on Ctrl-C and returns: the exit status still says
        # the command was interrupted (130), as for every other command.
        raise KeyboardInterrupt


@contextlib.contextmanager
def _sigint_seen() -> Iterator[list[int]]:
    # uvicorn takes SIGINT over while it runs and, once shut down, raises it again against
    # the handler it found: this one, which notes it before acting as Python's default.
    seen: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        seen.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield seen
    except KeyboardInterrupt:
        if not seen:
            raise
    finally:
        signal.signal(signal.SIGINT, previous)


def _cannot_listen(given: dict[str, Any], exc: OSError, default_port: int) -> str:
    host = given.get("host", "127.0.0.1")
    port = given.get("port", default_port)
    return f"Cannot listen on {host}:{port}: {exc.strerror or exc}."


async def _run_until_signal(server: "Emulator") -> None:
    import asyncio

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C raises instead
            loop.add_signal_handler(signum, stop.set)
    try:
        async with server:
            # Flushed at once: a script waiting for this line learns the port (with --port 0).
            click.echo(f"Dynaspark emulator listening on {server.url}")
            await stop.wait()
    finally:
        # Given back while the loop is open: asyncio closes its wake-up pipe before it drops
        # the handlers, and a signal in between (a second SIGTERM from a supervisor) would
        # print "Exception ignored when trying to write to the signal wakeup fd". Once the
        # server is closed, a further signal acts as it does by default.
        for signum in signals:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)


_SECONDS = click.FloatRange(min=0)


@click.command(short_help="Run the local Dynaspark emulator.")
@click.option(
    "--host", default="127.0.0.1", show_default=True, metavar="HOST", help="Interface to listen on."
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=EMULATOR_PORT,
    show_default=True,
    metavar="PORT",
    help="TCP port; 0 lets the system choose.",
)
@click.option(
    "--stream-delay", type=_SECONDS, default=0.0, metavar="S", help="Seconds between stream events."
)
@click.option(
    "--rate-limit",
    type=click.IntRange(min=1),
    metavar="N",
    help="Requests allowed per hour, then 429 with rate-limit headers (default: no limit).",
)
@click.option(
    "--rate-window",
    type=click.FloatRange(min=0, min_open=True),
    default=3600.0,
    show_default=True,
    metavar="S",
    help="Seconds over which --rate-limit counts requests.",
)
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    metavar="KEY",
    help="A REST key the emulator accepts (repeatable; default: any key or none).",
)
@click.option(
    "--latency", type=_SECONDS, default=0.0, metavar="S", help="Seconds before every answer."
)
@click.option(
    "--url-limit",
    type=click.IntRange(min=0),
    default=8192,
    show_default=True,
    metavar="BYTES",
    help="Longest request target; longer ones get 414, as proxies answer (0: no limit).",
)
@click.option(
    "--require-browser-headers",
    is_flag=True,
    default=False,
    help="The web form refuses (403) requests without a browser's headers, as a bot filter.",
)
@click.option(
    "--replies",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help="The model answers from this replies file first (JSON or JSON Lines: text, tool "
    "calls, JSON answers); more can be queued with POST /_emulator/replies from this machine.",
)
@click.option(
    "--cold-start",
    type=_SECONDS,
    default=0.0,
    metavar="S",
    help="Seconds the first request waits, like a sleeping host waking up.",
)
def emulator(
    host: str,
    port: int,
    stream_delay: float,
    rate_limit: int | None,
    rate_window: float,
    api_keys: tuple[str, ...],
    latency: float,
    url_limit: int,
    require_browser_headers: bool,
    replies: Path | None,
    cold_start: float,
) -> None:
    """Run the Dynaspark emulator (web form and REST API) until Ctrl-C or SIGTERM.

    Prints 'Dynaspark emulator listening on URL' once it accepts connections. Also runs
    as 'python -m aiodynaspark.testing', with the same options.

    \b
    Example:
      aiodynaspark emulator --port 8090 --stream-delay 0.05 &
      aiodynaspark chat "Hello" --base-url http://127.0.0.1:8090
    """
    from ..testing import Emulator

    server = Emulator(
        host,
        port,
        rate_limit=rate_limit,
        rate_window=rate_window,
        api_keys=api_keys or None,
        stream_delay=stream_delay,
        latency=latency,
        cold_start=cold_start,
        url_limit=url_limit or None,
        require_browser_headers=require_browser_headers,
        # Nobody can read the records of a command-line emulator; keeping them would only
        # grow its memory with every request.
        record=False,
    )
    if replies is not None:
        queue_replies(server, replies)
    try:
        run_async(_run_until_signal(server))
    except OSError as exc:
        raise CommandError(_cannot_listen({"host": host, "port": port}, exc, port)) from exc
