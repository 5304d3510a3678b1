"""A spinner on stderr while a command waits for the service's first byte.

The free host can take a minute to wake, and a silent terminal for that long looks hung. The
indicator is drawn from its own thread, so the event loop doing the request never pays for
it, and only on an interactive terminal: never into a pipe, a file or a log.
"""

import os
import sys
import threading
import time
from types import TracebackType
from typing import IO, Self

__all__ = ["WaitIndicator", "is_interactive"]

# Quick answers should not flash a spinner: it appears only once a wait is noticeable.
SHOW_AFTER = 0.3
# After this long, say why the wait may be long (a sleeping host takes 30-60 s to wake).
WAKE_HINT_AFTER = 5.0
REFRESH = 0.1
_PLAIN_FRAMES = "|/-\\"


def is_interactive(*, uses_stdout: bool) -> bool:
    """Tell whether a progress indicator may be drawn on stderr.

    Args:
        uses_stdout: The command writes its result to stdout; then stdout must be a terminal
            too, so a spinner never lands between the lines of a pager or a pipe.

    Returns:
        ``True`` when stderr (and stdout if used) is a terminal that can move its cursor.
    """
    if os.environ.get("TERM") == "dumb":
        return False
    if not _isatty(sys.stderr):
        return False
    return not uses_stdout or _isatty(sys.stdout)


def _isatty(stream: IO[str] | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


class WaitIndicator:
    """Draw "<message> N s" with a spinner on stderr until :meth:`stop`; a no-op when disabled.

    Uses rich's spinner when rich is installed (the ``all`` extra), else a one-line text
    spinner. Either way the line is erased when the wait ends, leaving the terminal clean.

    Args:
        message: What is awaited, e.g. ``"Waiting for the answer"``.
        enabled: Draw anything at all (see :func:`is_interactive`).

    Example:
        >>> with WaitIndicator("Waiting", enabled=False) as wait:
        ...     wait.stop()  # at the first byte
    """

    def __init__(self, message: str, *, enabled: bool) -> None:
        self._message = message
        self._enabled = enabled
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = 0.0

    def __enter__(self) -> Self:
        if self._enabled:
            self._started = time.monotonic()
            self._thread = threading.Thread(
                target=self._run, name="aiodynaspark-spinner", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Erase the indicator and wait for its thread; safe to call more than once."""
        self._stopped.set()
        if self._thread is not None:
            # The caller writes its output right after: the line must be gone by then.
            self._thread.join(timeout=2)
            self._thread = None

    def _text(self) -> str:
        elapsed = time.monotonic() - self._started
        hint = " (the host may be waking up)" if elapsed >= WAKE_HINT_AFTER else ""
        return f"{self._message}... {elapsed:.0f} s{hint}"

    def _run(self) -> None:
        if self._stopped.wait(SHOW_AFTER):
            return
        try:
            self._run_rich()
        except ImportError:
            self._run_plain()

    def _run_rich(self) -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.spinner import Spinner

        spinner = Spinner("dots", text=self._text())
        # No stdout redirection: the main thread may print the answer the moment we stop.
        with Live(
            spinner,
            console=Console(stderr=True),
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
            refresh_per_second=1 / REFRESH,
        ):
            while not self._stopped.wait(REFRESH):
                spinner.update(text=self._text())

    def _run_plain(self) -> None:
        stream = sys.stderr
        width = 0
        frame = 0
        while True:
            line = f"{_PLAIN_FRAMES[frame % len(_PLAIN_FRAMES)]} {self._text()}"
            # Pad over a longer previous line instead of relying on ANSI erase codes.
            stream.write("\r" + line.ljust(width))
            stream.flush()
            width = max(width, len(line))
            frame += 1
            if self._stopped.wait(REFRESH):
                break
        stream.write("\r" + " " * width + "\r")
        stream.flush()
