"""Exit codes, and turning any failure into one ``error:`` line on stderr.

Every command lets exceptions rise; :func:`report` is the one place that decides what a user
sees and which code the process exits with.
"""

import sys
import traceback
from typing import IO

import click

from .._errors import APITimeoutError, DynasparkError, InvalidRequestError

__all__ = [
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "CommandError",
    "MissingExtraError",
    "report",
]

EXIT_OK = 0
# The service or the network failed (connection, timeout, HTTP status, a broken answer), or a
# local step did (writing the output file, a missing optional dependency).
EXIT_FAILURE = 1
# Bad usage or input refused before any request: click's own code for usage errors, so that
# an unknown option and an unknown model look the same to a script.
EXIT_USAGE = 2
# 128 + SIGINT, what shells report for a command stopped with Ctrl-C.
EXIT_INTERRUPTED = 130

# A timeout message names the options a CLI user sets, not the library's keywords.
_TIME_FLAGS = {
    "timeout": "--timeout (or DYNASPARK_TIMEOUT)",
    "deadline": "--deadline (or DYNASPARK_DEADLINE)",
}


class CommandError(click.ClickException):
    """Raised for a failure of the command itself, not the library: say, an unwritable file."""

    exit_code = EXIT_FAILURE


class MissingExtraError(CommandError):
    """Raised when a command needs an optional dependency that is not installed."""

    def __init__(self, what: str, extra: str) -> None:
        super().__init__(f"{what} needs the '{extra}' extra: pip install 'aiodynaspark[{extra}]'.")


def _error_line(message: str, stream: IO[str]) -> None:
    # One line, whatever the message holds, so `2>&1 | tail -1` always shows the reason.
    click.echo(f"error: {' '.join(message.split())}", file=stream)


def _usage_hint(error: click.UsageError) -> str:
    ctx = error.ctx
    if ctx is None:
        return ""
    return f" See '{ctx.command_path} --help'."


def report(error: BaseException, *, verbose: bool) -> int:
    """Show ``error`` on stderr as one ``error:`` line and choose the exit code.

    Args:
        error: What ended the command.
        verbose: Print the traceback first.

    Returns:
        The process exit code.
    """
    stream = sys.stderr
    if isinstance(error, KeyboardInterrupt | click.Abort):
        # Ctrl-C is the user's own decision: nothing to explain.
        return EXIT_INTERRUPTED
    if verbose and not isinstance(error, click.UsageError):
        traceback.print_exception(error, file=stream)
    if isinstance(error, click.UsageError):
        _error_line(error.format_message() + _usage_hint(error), stream)
        return EXIT_USAGE
    if isinstance(error, click.ClickException):
        _error_line(error.format_message(), stream)
        return error.exit_code
    if isinstance(error, InvalidRequestError):
        _error_line(str(error), stream)
        return EXIT_USAGE
    if isinstance(error, APITimeoutError):
        _error_line(error.describe(_TIME_FLAGS), stream)
        return EXIT_FAILURE
    if isinstance(error, DynasparkError):
        _error_line(str(error) or type(error).__name__, stream)
        return EXIT_FAILURE
    hint = "" if verbose else " (run with -v for the traceback)"
    _error_line(f"unexpected {type(error).__name__}: {error}{hint}", stream)
    return EXIT_FAILURE
