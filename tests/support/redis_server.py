"""A real Debian ``redis-server`` on 127.0.0.1 for tests: free port, temp dir, no persistence."""

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from support.ports import free_port

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


def require_binary(name: str) -> str:
    """The binary's path, or skip the test: CI installs it (.ci/run), a laptop may not."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if path is None:
        pytest.skip(f"{name} is not installed (Debian package {name}; .ci/run installs it)")
    return path


class RedisServer:
    """One ``redis-server`` process; :meth:`stop` and :meth:`start` keep its port.

    Args:
        directory: Where it runs (its working directory and log).
        options: More command-line options (``--maxmemory``, ``2mb``).
    """

    def __init__(self, directory: Path, *options: str) -> None:
        self.binary = require_binary("redis-server")
        self.directory = directory
        self.options = options
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--logfile",
                str(self.directory / "redis.log"),
                *self.options,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = (self.directory / "redis.log").read_text()
                raise RuntimeError(f"redis-server exited: {log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not answer PING in time")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(STOP_TIMEOUT)
        self._process = None
