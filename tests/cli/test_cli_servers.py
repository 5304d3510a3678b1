"""``aiodynaspark emulator`` and ``serve``: foreground servers that answer, then stop cleanly."""

import contextlib
import json
import os
import re
import select
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from aiodynaspark.testing import answer_for
from support.cli import CLI, RUN_TIMEOUT, assert_one_error_line, cli_env
from support.ports import free_port

STARTUP_TIMEOUT = 20.0
# No proxy from the environment: these requests go to 127.0.0.1 only.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _get(url: str) -> tuple[int, bytes]:
    with _DIRECT.open(url, timeout=10) as response:
        return response.status, response.read()


def _read_line(process: "subprocess.Popen[bytes]", deadline: float) -> str:
    assert process.stdout is not None
    fd = process.stdout.fileno()
    seen = b""
    while b"\n" not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            seen += chunk
    return seen.decode()


@contextmanager
def _running(argv: list[str]) -> Iterator["subprocess.Popen[bytes]"]:
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env())
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=RUN_TIMEOUT)


def test_emulator_prints_its_url_answers_and_stops_on_sigterm(cli: CLI) -> None:
    with _running(cli.argv("emulator", "--port", "0")) as process:
        line = _read_line(process, time.monotonic() + STARTUP_TIMEOUT)
        match = re.fullmatch(r"Dynaspark emulator listening on (http://127\.0\.0\.1:\d+)\n", line)
        assert match, line
        url = match.group(1)

        status, body = _get(f"{url}/api/generate_response?user_input=Hi&model=gemini-2.0-flash")
        assert status == 200
        assert json.loads(body)["response"] == answer_for("gemini-2.0-flash", "Hi")

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=RUN_TIMEOUT) == 0


def test_emulator_signalled_again_while_it_stops_prints_nothing(cli: CLI) -> None:
    # A supervisor (or a shell's exit trap) may send SIGTERM again while the emulator is
    # already stopping: it ends, by the signal or by itself, without a traceback.
    with _running(cli.argv("emulator", "--port", "0")) as process:
        assert "listening on" in _read_line(process, time.monotonic() + STARTUP_TIMEOUT)
        for _ in range(4000):  # bounded: it ends within a few of them
            if process.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            time.sleep(0.0005)
        _, errors = process.communicate(timeout=RUN_TIMEOUT)
    assert process.returncode in (0, -signal.SIGTERM)
    assert errors.decode() == ""


def test_the_emulator_gives_its_signal_handlers_back_before_its_loop_closes() -> None:
    # What keeps a late signal from meeting asyncio's closed wake-up pipe: once the emulator
    # has stopped, and before asyncio.run closes the loop, no handler and no wake-up fd of
    # the loop's are left.
    import asyncio

    from aiodynaspark.cli._servers import _run_until_signal
    from aiodynaspark.testing import Emulator

    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    left: dict[str, object] = {}

    async def main() -> None:
        # Sent once the handlers are in (they are added before the first await).
        asyncio.get_running_loop().call_soon(os.kill, os.getpid(), signal.SIGTERM)
        await _run_until_signal(Emulator("127.0.0.1", 0, record=False))
        left["wakeup_fd"] = signal.set_wakeup_fd(-1)
        left["sigterm"] = signal.getsignal(signal.SIGTERM)

    try:
        asyncio.run(main())
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
    assert left == {"wakeup_fd": -1, "sigterm": signal.SIG_DFL}


def test_emulator_on_a_busy_port_gives_one_line(cli: CLI) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = cli.run("emulator", "--port", str(port))

    assert f"127.0.0.1:{port}" in assert_one_error_line(result, code=1)


def _gateway_available() -> bool:
    try:
        from aiodynaspark import server
    except ImportError:
        return False
    return hasattr(server, "serve")


@pytest.mark.skipif(
    not _gateway_available(),
    reason="aiodynaspark.server (the gateway and its 'server' extra) is not importable",
)
def test_serve_answers_health_and_models_then_stops(cli: CLI) -> None:
    port = free_port()
    root = f"http://127.0.0.1:{port}"

    with _running(cli.argv("serve", "--port", str(port), "--offline", "--no-ui")) as process:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        status = 0
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status, _ = _get(f"{root}/health")
                break
            except OSError:
                time.sleep(0.1)
        assert status == 200, "the gateway did not answer /health in time"

        status, body = _get(f"{root}/v1/models")
        assert status == 200
        assert "gemini-2.0-flash" in {model["id"] for model in json.loads(body)["data"]}

        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=RUN_TIMEOUT)

    # uvicorn shuts down gracefully, then ends by the signal it caught (as it documents).
    assert process.returncode in (0, -signal.SIGTERM)
    assert b"Traceback" not in errors


def _read_until(process: "subprocess.Popen[bytes]", pattern: str) -> "re.Match[str]":
    """Read the process's stderr until ``pattern`` matches in it, within STARTUP_TIMEOUT."""
    assert process.stderr is not None
    fd = process.stderr.fileno()
    seen = ""
    for _ in range(int(STARTUP_TIMEOUT / 0.2)):
        found = re.search(pattern, seen)
        if found:
            return found
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            seen += chunk.decode()
    raise AssertionError(f"no {pattern!r} in the output: {seen}")


_LISTENING = r"Gateway listening on (http://127\.0\.0\.1:\d+) \(Ctrl-C to stop\)"


@pytest.mark.skipif(
    not _gateway_available(),
    reason="aiodynaspark.server (the gateway and its 'server' extra) is not importable",
)
def test_serve_says_where_it_listens_even_on_a_port_the_system_chose(cli: CLI) -> None:
    with _running(cli.argv("serve", "--port", "0", "--offline", "--no-ui")) as process:
        root = _read_until(process, _LISTENING)[1]
        status, _ = _get(f"{root}/health")
        process.send_signal(signal.SIGTERM)
    assert status == 200


@pytest.mark.skipif(
    not _gateway_available(),
    reason="aiodynaspark.server (the gateway and its 'server' extra) is not importable",
)
def test_serve_interrupted_by_ctrl_c_exits_130_without_a_traceback(cli: CLI) -> None:
    with _running(cli.argv("serve", "--port", "0", "--offline", "--no-ui")) as process:
        _read_until(process, _LISTENING)
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=RUN_TIMEOUT)
    assert process.returncode == 130
    assert b"Traceback" not in errors


@pytest.mark.skipif(
    not _gateway_available(),
    reason="aiodynaspark.server (the gateway and its 'server' extra) is not importable",
)
@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_on_a_busy_port_gives_one_line(cli: CLI, workers: str) -> None:
    # With several workers uvicorn's supervisor binds the port itself, after serve() checked
    # it: the check is what turns a taken port into this line rather than uvicorn's exit 3.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = cli.run("serve", "--port", str(port), "--offline", "--workers", workers)

    assert f"127.0.0.1:{port}" in assert_one_error_line(result, code=1)


@pytest.mark.skipif(
    not _gateway_available(),
    reason="aiodynaspark.server (the gateway and its 'server' extra) is not importable",
)
def test_serve_takes_every_gateway_setting_as_an_option(cli: CLI) -> None:
    # --max-body-bytes is not written anywhere in the CLI: it comes from the settings model.
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    argv = cli.argv("serve", "--port", str(port), "--offline", "--max-body-bytes", "64")
    with _running(argv) as process:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            try:
                _get(f"{root}/health")
                break
            except OSError:
                time.sleep(0.1)
        request = urllib.request.Request(
            f"{root}/v1/chat/completions",
            data=json.dumps({"messages": [{"role": "user", "content": "x" * 100}]}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            _DIRECT.open(request, timeout=10)
        refused.value.close()
        assert refused.value.code == 413
        process.send_signal(signal.SIGTERM)


def test_emulator_accepts_only_the_api_keys_it_is_given(cli: CLI) -> None:
    with _running(cli.argv("emulator", "--port", "0", "--api-key", "secret")) as process:
        line = _read_line(process, time.monotonic() + STARTUP_TIMEOUT)
        url = line.rsplit(" ", 1)[1].strip()
        chat = f"{url}/api/generate_response?user_input=Hi&model=gemini-2.0-flash"
        status, _ = _get(f"{chat}&api_key=secret")
        assert status == 200
        with pytest.raises(urllib.error.HTTPError) as refused:
            _get(f"{chat}&api_key=guess")
        refused.value.close()
        assert refused.value.code == 401
        process.send_signal(signal.SIGTERM)


def test_emulator_answers_from_its_replies_file_then_from_the_control_route(
    cli: CLI, tmp_path: Path
) -> None:
    replies = tmp_path / "replies.jsonl"
    replies.write_text('{"text": "from the file"}\n')
    with _running(cli.argv("emulator", "--port", "0", "--replies", str(replies))) as process:
        line = _read_line(process, time.monotonic() + STARTUP_TIMEOUT)
        match = re.fullmatch(r"Dynaspark emulator listening on (http://127\.0\.0\.1:\d+)\n", line)
        assert match, line
        url = match.group(1)
        ask = f"{url}/api/generate_response?user_input=Hi&model=gemini-2.0-flash"
        first = json.loads(_get(ask)[1])["response"]
        queue = urllib.request.Request(
            f"{url}/_emulator/replies", data=b'["from the route"]', method="POST"
        )
        with _DIRECT.open(queue, timeout=10) as answer:
            assert answer.status == 200
        second = json.loads(_get(ask)[1])["response"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=RUN_TIMEOUT) == 0
    assert (first, second) == ("from the file", "from the route")


def test_emulator_with_a_bad_replies_file_gives_one_line(cli: CLI, tmp_path: Path) -> None:
    replies = tmp_path / "replies.json"
    replies.write_text('[{"txt": "typo"}]')
    result = cli.run("emulator", "--port", "0", "--replies", str(replies))
    assert "replies.json[0]" in assert_one_error_line(result, code=1)


def test_serve_replies_without_offline_is_a_usage_error(cli: CLI, tmp_path: Path) -> None:
    replies = tmp_path / "replies.json"
    replies.write_text("[]")
    result = cli.run("serve", "--replies", str(replies))
    assert result.returncode == 2
    assert "--offline" in result.stderr


@pytest.mark.skipif(
    not _gateway_available(),
    reason="aiodynaspark.server (the gateway and its 'server' extra) is not importable",
)
def test_serve_offline_answers_from_its_replies_file(cli: CLI, tmp_path: Path) -> None:
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([{"text": "scripted"}]))
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    argv = cli.argv("serve", "--port", str(port), "--offline", "--no-ui", "--replies", str(replies))
    with _running(argv) as process:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            try:
                _get(f"{root}/health")
                break
            except OSError:
                time.sleep(0.1)
        body = json.dumps({"messages": [{"role": "user", "content": "Hi"}]}).encode()
        request = urllib.request.Request(
            f"{root}/v1/chat/completions",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with _DIRECT.open(request, timeout=10) as answer:
            completion = json.loads(answer.read())
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=RUN_TIMEOUT)
    assert completion["choices"][0]["message"]["content"] == "scripted"


@pytest.mark.skipif(not _gateway_available(), reason="the gateway is not importable")
def test_serve_with_a_missing_keys_file_says_so_in_one_line(cli: CLI, tmp_path: Path) -> None:
    missing = tmp_path / "keys.toml"
    result = cli.run("serve", "--port", str(free_port()), "--offline", "--keys-file", str(missing))
    line = assert_one_error_line(result, code=1)
    assert f"The keys file {missing} does not exist" in line
    assert "Cannot listen" not in line


@pytest.mark.skipif(not _gateway_available(), reason="the gateway is not importable")
@pytest.mark.parametrize("mode", [0o666, 0o620, 0o604])
def test_serve_refuses_a_keys_file_others_may_read_or_write(
    cli: CLI, tmp_path: Path, mode: int
) -> None:
    path = tmp_path / "keys.toml"
    path.write_text(f'[keys.alice]\nsha256 = "{"0" * 64}"\n')
    path.chmod(mode)
    result = cli.run("serve", "--port", str(free_port()), "--offline", "--keys-file", str(path))
    line = assert_one_error_line(result, code=1)
    assert f"chmod 600 {path}" in line
