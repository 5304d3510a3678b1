"""The emulator's lifecycle: the health page, start and close, the thread, the command line,
the public names."""

import asyncio
import inspect
import json
import math
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp
import pytest

import aiodynaspark.testing
from aiodynaspark.cli import main as cli_main
from aiodynaspark.testing import Emulator, Fault
from support.emulator_http import TIMEOUT, chat, sse_payloads


async def test_status_is_ok_and_never_faulted(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    emu.push(Fault.status(500))
    async with asyncio.timeout(TIMEOUT):
        async with session.get(f"{emu.url}/status") as resp:
            assert (resp.status, await resp.json()) == (200, {"status": "ok", "emulator": True})
        status, _, _ = await chat(session, emu)
    assert status == 500  # the queued fault was left for the next service request


async def test_url_and_start_guard_the_lifecycle() -> None:
    emu = Emulator()
    with pytest.raises(RuntimeError, match="not started"):
        _ = emu.url
    async with asyncio.timeout(TIMEOUT):
        await emu.start()
        try:
            assert emu.url.startswith("http://127.0.0.1:")
            with pytest.raises(RuntimeError, match="already started"):
                await emu.start()
        finally:
            await emu.close()
        await emu.close()


def test_run_in_thread_serves_synchronous_clients_and_stops() -> None:
    with Emulator.run_in_thread() as emu:
        emu.push(Fault.status(500))
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{emu.url}/api/generate_response?user_input=x", timeout=TIMEOUT)
        refused.value.close()
        with urllib.request.urlopen(f"{emu.url}/status", timeout=TIMEOUT) as resp:
            assert json.load(resp) == {"status": "ok", "emulator": True}
        url = emu.url
    assert [r.path for r in emu.requests] == ["/api/generate_response", "/status"]
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{url}/status", timeout=TIMEOUT)


def test_run_in_thread_hold_and_release_work_from_the_calling_thread() -> None:
    with Emulator.run_in_thread() as emu:
        emu.hold()
        url = f"{emu.url}/api/generate_response?user_input=a+b&stream=true"
        with urllib.request.urlopen(url, timeout=TIMEOUT) as resp:
            assert resp.readline().startswith(b"data: ")
            emu.release()
            rest = resp.read().decode()
    assert sse_payloads(rest)[-1] == "[DONE]"


def test_cli_reports_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with Emulator.run_in_thread() as emu:
        port = emu.url.rsplit(":", 1)[1]
        assert cli_main(["emulator", "--port", port]) == 1
    assert capsys.readouterr().err.startswith("error: Cannot listen on 127.0.0.1:")


def test_module_entry_point_serves_until_sigterm() -> None:
    src = str(Path(aiodynaspark.testing.__file__).resolve().parents[2])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])),
    }
    with subprocess.Popen(
        [sys.executable, "-m", "aiodynaspark.testing", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.startswith("Dynaspark emulator listening on http://127.0.0.1:")
            url = line.rsplit(" ", 1)[1].strip()
            with urllib.request.urlopen(f"{url}/status", timeout=TIMEOUT) as resp:
                assert resp.status == 200
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=TIMEOUT) == 0
        finally:
            if proc.poll() is None:
                proc.kill()


def test_public_names_are_exported() -> None:
    assert set(aiodynaspark.testing.__all__) >= {
        "Emulator",
        "Fault",
        "RecordedRequest",
        "answer_for",
        "WEB_MODELS",
        "IMAGE_MODELS",
        "VOICES",
    }
    assert math.isclose(Emulator().stream_delay, 0.0)


def test_every_emulator_keyword_is_an_option_of_its_command_line() -> None:
    from aiodynaspark.cli._servers import emulator as command

    options = {param.name: param for param in command.params}
    keywords = inspect.signature(Emulator).parameters
    for name, keyword in keywords.items():
        if name == "record":  # nobody can read a command-line emulator's records
            continue
        assert name in options, f"the emulator command has no option for {name}"
        # The port differs on purpose: a fixed default on the command line, the OS's choice
        # in tests.
        if keyword.default is not None and name != "port":
            assert options[name].default == keyword.default, name
