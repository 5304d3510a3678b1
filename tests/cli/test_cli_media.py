"""``aiodynaspark image``, ``speak`` and ``models`` through the installed console script."""

from pathlib import Path

from aiodynaspark.testing import WEB_MODELS, Emulator
from support.cli import CLI, assert_one_error_line

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_image_writes_the_downloaded_png(cli: CLI, emulator: Emulator, tmp_path: Path) -> None:
    output = tmp_path / "lighthouse.png"

    result = cli.run("image", "a lighthouse", "-o", str(output), "--model", "turbo",
                     "--size", "320x200", "--seed", "7", "--base-url", emulator.url)  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert output.read_bytes().startswith(PNG_MAGIC)
    generate, download = emulator.requests
    assert generate.path == "/api/generate_image"
    assert generate.query["user_input"] == "a lighthouse"
    assert generate.query["model"] == "turbo"
    assert (generate.query["width"], generate.query["height"]) == ("320", "200")
    assert generate.query["seed"] == "7"
    assert download.path.startswith("/images/")


def test_image_offline_writes_a_png(cli: CLI, tmp_path: Path) -> None:
    output = tmp_path / "cat.png"

    result = cli.run("image", "a cat", "-o", str(output), "--offline")

    assert result.returncode == 0, result.stderr
    assert output.read_bytes().startswith(PNG_MAGIC)
    assert result.stderr == ""  # the confirmation is for terminals only


def test_image_to_stdout_with_dash(cli: CLI) -> None:
    result = cli.run_bytes("image", "a cat", "-o", "-", "--offline")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(PNG_MAGIC)


def test_bad_image_size_leaves_no_file(cli: CLI, emulator: Emulator, tmp_path: Path) -> None:
    output = tmp_path / "never.png"

    result = cli.run("image", "a cat", "-o", str(output), "--size", "10x10",
                     "--base-url", emulator.url)  # fmt: skip

    assert "64 to 2048" in assert_one_error_line(result, code=2)
    assert not output.exists()
    assert emulator.requests == []


def test_unwritable_output_is_a_failure_line(cli: CLI, tmp_path: Path) -> None:
    output = tmp_path / "no-such-dir" / "cat.png"

    result = cli.run("image", "a cat", "-o", str(output), "--offline")

    assert "Could not write" in assert_one_error_line(result, code=1)


def test_speak_writes_mp3_with_the_chosen_voice(
    cli: CLI, emulator: Emulator, tmp_path: Path
) -> None:
    output = tmp_path / "hello.mp3"

    result = cli.run("speak", "Hello there", "-o", str(output), "--voice", "nova",
                     "--base-url", emulator.url)  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert output.read_bytes().startswith(b"ID3")
    [request] = emulator.requests
    assert request.path == "/api/generate_response"
    assert request.query["model"] == "openai-audio"
    assert request.query["voice"] == "nova"
    assert request.query["user_input"] == "Hello there"


def test_speak_offline_writes_mp3(cli: CLI, tmp_path: Path) -> None:
    output = tmp_path / "hello.mp3"

    result = cli.run("speak", "Hello", "-o", str(output), "--offline")

    assert result.returncode == 0, result.stderr
    assert output.read_bytes().startswith(b"ID3")


def test_unknown_voice_is_refused(cli: CLI, tmp_path: Path) -> None:
    result = cli.run("speak", "Hello", "-o", str(tmp_path / "x.mp3"), "--voice", "robot",
                     "--offline")  # fmt: skip

    line = assert_one_error_line(result, code=2)
    assert "'robot'" in line
    assert "nova" in line


def test_models_takes_no_network_option(cli: CLI) -> None:
    # The list is the library's own: an option that could change nothing is refused.
    result = cli.run("models", "--base-url", "http://127.0.0.1:1")

    assert "--base-url" in assert_one_error_line(result, code=2)


def test_models_lists_the_chat_model_ids(cli: CLI) -> None:
    result = cli.run("models")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == list(WEB_MODELS)
