"""The ``aiodynaspark`` command line: chat, models, image, speak, serve, emulator and keys.

Only click and the CLI's own small modules load at start-up; each command imports the client,
the emulator or the gateway when it runs, so ``aiodynaspark --help`` answers at once.
"""

import logging
import os
import sys
from collections.abc import Sequence

import click

from .. import __version__
from ._chat import chat
from ._failures import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, report
from ._generate import image, models, speak
from ._keys import keys
from ._servers import emulator, serve

__all__ = ["cli", "main"]


def _configure_logging(verbose: bool) -> None:
    if not verbose:
        # The library's own NullHandler keeps retry notes quiet: failures reach the user
        # once, as the final error line.
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    library = logging.getLogger("aiodynaspark")
    library.addHandler(handler)
    library.setLevel(logging.DEBUG)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="aiodynaspark")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks and debug logging on stderr.")
def cli(verbose: bool) -> None:
    """Talk to Dynaspark (Gemini chat, images, speech) from the terminal.

    Settings come from options or the environment: DYNASPARK_BASE_URL, DYNASPARK_API_KEY,
    DYNASPARK_TIMEOUT, DYNASPARK_MAX_RETRIES, HTTPS_PROXY. Add --offline to any network
    command to use the built-in emulator instead.

    Exit codes: 0 success, 1 service, network or file failure, 2 bad usage or input,
    130 interrupted.
    """
    _configure_logging(verbose)


cli.add_command(chat)
cli.add_command(models)
cli.add_command(image)
cli.add_command(speak)
cli.add_command(serve)
cli.add_command(emulator)
cli.add_command(keys)


def _silence_broken_pipe() -> int:
    # The reader went away (`| head`): drop what is still buffered instead of letting
    # Python complain at exit, and exit like a command killed by SIGPIPE would not.
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), sys.stdout.fileno())
    return EXIT_FAILURE


_VERBOSE = ("-v", "--verbose")


def _verbose_first(args: list[str]) -> list[str]:
    # -v is the group's option, but people type it after the command too (`chat -v "Hi"`):
    # moved to the front, it means the same wherever it is. After `--`, it is an argument.
    end = args.index("--") if "--" in args else len(args)
    flags = [arg for arg in args[:end] if arg in _VERBOSE]
    if not flags:
        return args
    return ["--verbose", *(arg for arg in args[:end] if arg not in _VERBOSE), *args[end:]]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the console script's entry point.

    Args:
        argv: The arguments without the program name; ``sys.argv[1:]`` when ``None``.

    Returns:
        The exit code: 0 success, 1 service, network or file failure, 2 bad usage or input
        refused before any request, 130 interrupted.
    """
    args = _verbose_first(list(sys.argv[1:] if argv is None else argv))
    if not args:
        # No command: the help, as click shows it, with its usage-error code.
        with click.Context(cli, info_name="aiodynaspark") as ctx:
            click.echo(cli.get_help(ctx), err=True)
        return EXIT_USAGE
    verbose = False
    try:
        with cli.make_context("aiodynaspark", args) as ctx:
            # The group's own options are parsed by now, so -v covers every later failure.
            verbose = bool(ctx.params.get("verbose"))
            result = cli.invoke(ctx)
    except click.exceptions.Exit as done:  # --help, --version
        return done.exit_code
    except BrokenPipeError:
        return _silence_broken_pipe()
    except (Exception, KeyboardInterrupt) as error:
        return report(error, verbose=verbose)
    return result if isinstance(result, int) else EXIT_OK
