"""Terminal behaviour: the waiting spinner, Ctrl-C, and a fast ``--help``."""

import asyncio
import contextlib
import os
import pty
import select
import signal
import subprocess
import sys
import time

import pytest

from aiodynaspark.cli._service import run_async
from aiodynaspark.testing import Emulator, answer_for
from support.cli import CLI, RUN_TIMEOUT, cli_env

HEAVY_MODULES = ("aiohttp", "pydantic", "rich", "fastapi", "uvicorn", "aiodynaspark.client")


def _run_on_terminal(argv: list[str]) -> tuple[int, bytes]:
    # stdout and stderr on one pseudo-terminal, as a person at a shell would have them.
    controller, terminal = pty.openpty()
    with subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
        env=cli_env({"TERM": "xterm"}),
    ) as process:
        os.close(terminal)
        seen = b""
        deadline = time.monotonic() + RUN_TIMEOUT
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.2)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
        code = process.wait(timeout=RUN_TIMEOUT)
    os.close(controller)
    return code, seen


def test_spinner_shows_on_a_terminal_while_the_answer_is_slow(cli: CLI, emulator: Emulator) -> None:
    emulator.latency = 1.0

    code, screen = _run_on_terminal(cli.argv("chat", "Hi", "--base-url", emulator.url))

    assert code == 0
    assert b"Waiting for the answer" in screen
    assert answer_for("gemini-1.5-flash", "Hi").encode() in screen


def test_no_spinner_when_output_is_piped(cli: CLI, emulator: Emulator) -> None:
    emulator.latency = 1.0

    result = cli.run("chat", "Hi", "--base-url", emulator.url)

    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout == answer_for("gemini-1.5-flash", "Hi") + "\n"


def test_ctrl_c_exits_130_without_a_traceback(cli: CLI, emulator: Emulator) -> None:
    emulator.latency = 20.0  # the answer never comes in time: the user gives up

    with subprocess.Popen(
        cli.argv("chat", "Hi", "--base-url", emulator.url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
    ) as process:
        deadline = time.monotonic() + RUN_TIMEOUT
        while not emulator.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        assert emulator.requests, "the request never reached the emulator"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=RUN_TIMEOUT)

    assert process.returncode == 130
    assert err == b""
    assert out == b""


def test_help_imports_no_heavy_module(cli: CLI) -> None:
    probe = (
        "import sys, aiodynaspark.cli\n"
        f"print(','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=RUN_TIMEOUT
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


async def _ignores_one_cancellation(then_wait: float) -> str:
    # A command whose cancellation is lost on the way, as a race inside a library can lose
    # it: Ctrl-C comes while it waits, and it carries on.
    loop = asyncio.get_running_loop()
    loop.call_later(0.05, os.kill, os.getpid(), signal.SIGINT)
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(30)
    await asyncio.sleep(then_wait)
    return "finished"


def test_ctrl_c_is_final_even_when_the_cancellation_is_lost_and_the_command_finishes() -> None:
    with pytest.raises(KeyboardInterrupt):
        run_async(_ignores_one_cancellation(then_wait=0))


def test_ctrl_c_is_final_even_when_the_cancellation_is_lost_and_the_command_waits_on() -> None:
    # Ended after the grace, not after the 30 s wait (the test's own timeout is 60 s).
    with pytest.raises(KeyboardInterrupt):
        run_async(_ignores_one_cancellation(then_wait=30))
