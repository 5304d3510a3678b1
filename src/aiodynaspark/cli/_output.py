"""Writing results: text as it arrives, binary files, and the quiet confirmation line."""

import sys
from pathlib import Path

import click

from ._failures import CommandError

__all__ = ["TextSink", "note", "write_binary"]


class TextSink:
    """Write pieces of text to stdout as they arrive, and end the output with one newline."""

    def __init__(self) -> None:
        self._wrote = False
        self._ends_with_newline = False

    def write(self, piece: str) -> None:
        """Write one piece and flush it, so a pipe's reader sees it now, not at exit."""
        if not piece:
            return
        sys.stdout.write(piece)
        sys.stdout.flush()
        self._wrote = True
        self._ends_with_newline = piece.endswith("\n")

    def finish(self) -> None:
        """Add the final newline unless the answer already ended with one."""
        if not self._ends_with_newline:
            sys.stdout.write("\n")
        sys.stdout.flush()


def write_binary(output: str, data: bytes) -> None:
    """Write ``data`` to the file ``output``, or to stdout when it is ``-``.

    The file is written only once all bytes are in hand, so a failed request leaves no
    empty or partial file behind.

    Raises:
        CommandError: The file could not be written.
    """
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        raise CommandError(f"Could not write {output}: {exc.strerror or exc}.") from exc


def note(message: str) -> None:
    """Tell a person at a terminal what happened; stay silent for scripts and pipes."""
    if sys.stderr.isatty():
        click.echo(message, err=True)
