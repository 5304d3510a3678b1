"""Running the installed ``aiodynaspark`` console script as a subprocess, and checking it."""

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

# Every subprocess is bounded; a CLI run against the emulator takes well under a second.
RUN_TIMEOUT = 30.0

# Settings a developer's shell may hold that would change what the CLI does.
_ISOLATED = (
    "DYNASPARK_BASE_URL",
    "DYNASPARK_API_KEY",
    "DYNASPARK_TIMEOUT",
    "DYNASPARK_MAX_RETRIES",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
)


def find_script() -> Path:
    """The installed ``aiodynaspark`` console script of this interpreter's environment."""
    beside = Path(sys.executable).parent / "aiodynaspark"
    if beside.exists():
        return beside
    found = shutil.which("aiodynaspark")
    if found is None:
        pytest.skip("the aiodynaspark console script is not installed (pip install -e .)")
    return Path(found)


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A clean environment for the CLI: no Dynaspark settings or proxies unless given."""
    env = {key: value for key, value in os.environ.items() if key not in _ISOLATED}
    env["NO_PROXY"] = "127.0.0.1,localhost"
    env.pop("TERM", None)
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class CLI:
    """Runs the console script and returns what it printed."""

    script: Path

    def argv(self, *args: str) -> list[str]:
        return [str(self.script), *args]

    def run(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        input: str | None = None,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            capture_output=True,
            text=True,
            input=input,
            env=cli_env(env),
            cwd=cwd,
            timeout=RUN_TIMEOUT,
            check=False,
        )

    def run_bytes(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            self.argv(*args),
            capture_output=True,
            env=cli_env(),
            timeout=RUN_TIMEOUT,
            check=False,
        )


def assert_one_error_line(result: subprocess.CompletedProcess[str], *, code: int) -> str:
    """Check a failure: the exit code, and exactly one ``error:`` line with no traceback."""
    assert result.returncode == code, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]
