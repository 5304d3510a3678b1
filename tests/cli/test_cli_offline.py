"""``--offline`` needs no network: it works where every outside address is unreachable."""

from pathlib import Path

import pytest

from aiodynaspark.testing import Emulator, answer_for
from support.cli import CLI, assert_one_error_line

# Nothing listens on port 9 (discard) or 1 here: a request that leaves through the proxy or
# to the configured host fails at once instead of answering.
HOSTILE_NETWORK = {
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "",
    "no_proxy": "",
    "DYNASPARK_BASE_URL": "http://127.0.0.1:1",
    "DYNASPARK_MAX_RETRIES": "0",
}


def test_the_hostile_network_really_blocks_requests(cli: CLI, emulator: Emulator) -> None:
    # The control: without --offline the same environment stops a request, even one aimed
    # at a live local emulator, because it is sent through the dead proxy.
    result = cli.run("chat", "Hi", "--base-url", emulator.url, env=HOSTILE_NETWORK)

    assert "proxy" in assert_one_error_line(result, code=1)
    assert emulator.requests == []


def test_chat_offline_works_with_the_network_unreachable(cli: CLI) -> None:
    result = cli.run("chat", "Hi", "--offline", env=HOSTILE_NETWORK)

    assert result.returncode == 0, result.stderr
    assert result.stdout == answer_for("gemini-1.5-flash", "Hi") + "\n"


@pytest.mark.parametrize(
    ("command", "magic"),
    [(("image", "a cat"), b"\x89PNG"), (("speak", "Hello"), b"ID3")],
    ids=["image", "speak"],
)
def test_file_commands_offline_work_with_the_network_unreachable(
    cli: CLI, tmp_path: Path, command: tuple[str, str], magic: bytes
) -> None:
    output = tmp_path / "out.bin"

    result = cli.run(*command, "-o", str(output), "--offline", env=HOSTILE_NETWORK)

    assert result.returncode == 0, result.stderr
    assert output.read_bytes().startswith(magic)
