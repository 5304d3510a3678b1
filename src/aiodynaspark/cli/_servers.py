"""``aiodynaspark serve`` (the OpenAI-compatible gateway) and ``emulator``: foreground servers."""

import contextlib
import signal
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from ._failures import CommandError, MissingExtraError
from ._service import ServiceOptions, open_target, run_async

if TYPE_CHECKING:
    from ..testing import Emulator

__all__ = ["emulator", "serve"]

# The documented default ports: the gateway on 8080, the emulator beside it on 8090.
GATEWAY_PORT = 8080
EMULATOR_PORT = 8090
# Modules of the 'server' extra: their absence is a missing extra, not a bug.
_SERVER_EXTRA_MODULES = frozenset({"fastapi", "uvicorn", "starlette"})


@click.command(short_help="Run the OpenAI-compatible gateway.")
@click.option(
    "--host", default="127.0.0.1", show_default=True, metavar="HOST", help="Interface to listen on."
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=GATEWAY_PORT,
    show_default=True,
    metavar="PORT",
    help="TCP port to listen on.",
)
@click.option(
    "--api-key",
    metavar="KEY",
    help="Require 'Authorization: Bearer KEY' on every request (default: open).",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="Dynaspark root to forward to (default: $DYNASPARK_BASE_URL or the public host).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    metavar="N",
    help="Processes sharing the port.",
)
@click.option("--no-ui", is_flag=True, help="Serve the API only, without the chat page.")
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Allow browser calls from ORIGIN (repeatable; '*' for any).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Upstream time per attempt (default: $DYNASPARK_TIMEOUT or 90).",
)
@click.option(
    "--max-retries",
    type=click.IntRange(min=0),
    metavar="N",
    help="Upstream retries after the first attempt (default: $DYNASPARK_MAX_RETRIES or 2).",
)
@click.option(
    "--offline", is_flag=True, help="Forward to the built-in emulator instead of Dynaspark."
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    api_key: str | None,
    base_url: str | None,
    workers: int,
    no_ui: bool,
    cors_origins: Sequence[str],
    timeout: float | None,
    max_retries: int | None,
    offline: bool,
) -> None:
    """Run the OpenAI-compatible gateway until Ctrl-C (needs the 'server' extra).

    \b
    Example:
      aiodynaspark serve --port 8080 --api-key secret
      curl -H 'Authorization: Bearer secret' http://127.0.0.1:8080/v1/models
    """
    if offline and base_url is not None:
        raise click.UsageError("--offline and --base-url exclude each other.")
    try:
        from ..server import serve as run_gateway
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in _SERVER_EXTRA_MODULES:
            raise MissingExtraError("The gateway", "server") from exc
        raise
    verbose = bool(ctx.find_root().params.get("verbose"))
    with open_target(ServiceOptions(base_url, timeout, max_retries, offline)) as target:
        try:
            run_gateway(
                host,
                port,
                workers=workers,
                log_level="debug" if verbose else "info",
                base_url=target.base_url,
                api_key=api_key,
                ui=not no_ui,
                cors_origins=tuple(cors_origins),
                timeout=target.timeout,
                max_retries=target.max_retries,
            )
        except ValueError as exc:
            # The gateway checks its settings before it listens: a bad value given here.
            raise click.UsageError(str(exc), ctx) from exc


async def _run_until_signal(server: "Emulator") -> None:
    import asyncio

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C raises instead
            loop.add_signal_handler(signum, stop.set)
    async with server:
        # Flushed at once: a script waiting for this line learns the port (with --port 0).
        click.echo(f"Dynaspark emulator listening on {server.url}")
        await stop.wait()


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
    "--latency", type=_SECONDS, default=0.0, metavar="S", help="Seconds before every answer."
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
    latency: float,
    cold_start: float,
) -> None:
    """Run the Dynaspark emulator (web form and REST API) until Ctrl-C or SIGTERM.

    Prints 'Dynaspark emulator listening on URL' once it accepts connections.

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
        stream_delay=stream_delay,
        latency=latency,
        cold_start=cold_start,
        # Nobody can read the records of a command-line emulator; keeping them would only
        # grow its memory with every request.
        record=False,
    )
    try:
        run_async(_run_until_signal(server))
    except OSError as exc:
        raise CommandError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}.") from exc
