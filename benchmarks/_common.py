"""What every scenario shares: the request, its answer, child processes, /proc readings."""

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MESSAGES",
    "MODEL",
    "PIECES",
    "PROMPT",
    "STREAM_ANSWER",
    "WEB_ANSWER",
    "Child",
    "Deadline",
    "cpu_seconds",
    "median",
    "percentile",
    "rss_kib",
    "start_child",
]

MODEL = "gemini-1.5-flash"
# Nineteen words: with the emulator's "[model]" tag the streamed answer is twenty pieces.
PROMPT = (
    "Write one short sentence about the sea, the sky and the wind for a quick test of this client."
)
MESSAGES = [{"role": "user", "content": PROMPT}]
# The emulator's answer (aiodynaspark.testing.answer_for); the minimal server sends the same.
WEB_ANSWER = f"[{MODEL}] {PROMPT}"
STREAM_ANSWER = WEB_ANSWER
_WORDS = STREAM_ANSWER.split(" ")
PIECES = [word + " " for word in _WORDS[:-1]] + [_WORDS[-1]]

PYTHON = sys.executable
# Children see the repository's benchmarks package whatever the working directory.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Deadline:
    """A time budget: every loop checks it besides its count."""

    seconds: float
    start: float = field(default_factory=time.perf_counter)

    @property
    def passed(self) -> bool:
        return time.perf_counter() - self.start >= self.seconds


class Child:
    """A child process that printed one JSON line when ready; stopped with SIGTERM."""

    def __init__(self, process: subprocess.Popen[str], ready: dict[str, Any]) -> None:
        self.process = process
        self.ready = ready

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> "Child":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_child(
    args: Sequence[str],
    *,
    ready: str = "json",
    timeout: float = 30.0,
    env: dict[str, str] | None = None,
) -> Child:
    """Start ``python args...`` and wait for its ready line.

    Args:
        args: The arguments after the interpreter.
        ready: ``"json"``: the first stdout line is a JSON object; otherwise a text that
            marks the ready line (its last word is then kept as ``{"url": ...}``).
        timeout: Seconds to wait for the line.
        env: Extra environment variables.

    Raises:
        RuntimeError: The child exited or stayed silent.
    """
    environment = {**os.environ, "PYTHONPATH": ROOT, **(env or {})}
    process = subprocess.Popen(
        [PYTHON, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env=environment,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    os.set_blocking(process.stdout.fileno(), False)
    buffered = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{' '.join(args)} exited with {process.returncode}")
        chunk = process.stdout.readline()
        if not chunk:
            time.sleep(0.02)
            continue
        buffered += chunk
        if not buffered.endswith("\n"):
            continue
        line, buffered = buffered.strip(), ""
        if ready == "json" and line.startswith("{"):
            os.set_blocking(process.stdout.fileno(), True)
            return Child(process, json.loads(line))
        if ready != "json" and ready in line:
            # Keep the pipe drained so a chatty child never blocks on a full pipe.
            _drain(process)
            return Child(process, {"url": line.split()[-1]})
    process.kill()
    process.wait(timeout=10)
    raise RuntimeError(f"{' '.join(args)} did not get ready within {timeout:g} s")


def _drain(process: subprocess.Popen[str]) -> None:
    import threading

    def read() -> None:
        assert process.stdout is not None
        os.set_blocking(process.stdout.fileno(), True)
        try:
            for _ in process.stdout:
                pass
        except (OSError, ValueError):
            pass

    threading.Thread(target=read, daemon=True).start()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far, from ``/proc/PID/stat``."""
    with open(f"/proc/{pid}/stat") as file:
        fields = file.read().rsplit(")", 1)[1].split()
    # Fields 14 and 15 of stat(5), counted after the command name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int | str = "self", field_name: str = "VmRSS") -> int:
    """A memory figure of ``/proc/PID/status`` in KiB (``VmRSS``, ``VmHWM``)."""
    with open(f"/proc/{pid}/status") as file:
        for line in file:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field_name} in /proc/{pid}/status")


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` from 0 to 1) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]
