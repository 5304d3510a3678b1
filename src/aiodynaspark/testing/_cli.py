"""Command line of the emulator: serve in the foreground until SIGINT/SIGTERM."""

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from ._emulator import Emulator

__all__ = ["DEFAULT_PORT", "build_parser", "main"]

DEFAULT_PORT = 8090
"""Default port of ``aiodynaspark emulator``, beside the gateway's 8080."""


def _non_negative(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``python -m aiodynaspark.testing``.

    Returns:
        The parser.
    """
    parser = argparse.ArgumentParser(
        prog="python -m aiodynaspark.testing",
        description="Run a local Dynaspark emulator (web form and REST API).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default %(default)s)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="TCP port, 0 for any (default %(default)s)"
    )
    parser.add_argument(
        "--stream-delay", type=_non_negative, default=0.0, help="seconds between stream events"
    )
    parser.add_argument(
        "--rate-limit", type=_positive_int, default=None, help="requests allowed per hour"
    )
    parser.add_argument(
        "--latency", type=_non_negative, default=0.0, help="seconds before every answer"
    )
    parser.add_argument(
        "--cold-start", type=_non_negative, default=0.0, help="seconds the first request waits"
    )
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        default=None,
        help="accepted REST key (repeatable; default: any key or none)",
    )
    return parser


async def _serve(emulator: Emulator) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C raises instead
            loop.add_signal_handler(signum, stop.set)
    async with emulator:
        print(f"Dynaspark emulator listening on {emulator.url}", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until interrupted.

    Prints ``Dynaspark emulator listening on http://HOST:PORT`` once serving.

    Args:
        argv: The arguments, without the program name; ``sys.argv[1:]`` when
            ``None``.

    Returns:
        The exit status: 0 after a clean stop, 1 when the address cannot be
        bound, 2 for bad arguments (from argparse).
    """
    args = build_parser().parse_args(argv)
    emulator = Emulator(
        args.host,
        args.port,
        rate_limit=args.rate_limit,
        api_keys=args.api_keys,
        stream_delay=args.stream_delay,
        cold_start=args.cold_start,
        latency=args.latency,
        # Nobody can read the records of a command-line emulator; keeping them would only
        # grow its memory with every request.
        record=False,
    )
    try:
        asyncio.run(_serve(emulator))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0
