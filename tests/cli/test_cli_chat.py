"""``aiodynaspark chat`` through the installed console script, against a real emulator."""

import os
import select
import subprocess
import time
from pathlib import Path

from aiodynaspark.testing import Emulator, answer_for
from support.cli import CLI, RUN_TIMEOUT, assert_one_error_line, cli_env
from support.media import GIF, PNG

DEFAULT_MODEL = "gemini-1.5-flash"


def test_chat_offline_prints_the_emulators_answer(cli: CLI) -> None:
    result = cli.run("chat", "Hello there", "--offline")

    assert result.returncode == 0, result.stderr
    assert result.stdout == answer_for(DEFAULT_MODEL, "Hello there") + "\n"
    assert result.stderr == ""


def test_chat_sends_model_image_and_prompt_to_the_web_form(
    cli: CLI, emulator: Emulator, tmp_path: Path
) -> None:
    picture = tmp_path / "picture.png"
    picture.write_bytes(PNG)

    result = cli.run(
        "chat", "What is it?", "-m", "gemini-2.0-flash", "-i", str(picture),
        "--base-url", emulator.url,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert result.stdout == answer_for("gemini-2.0-flash", "What is it?", PNG) + "\n"
    [request] = emulator.requests
    assert request.path == "/generate_response"
    assert request.form == {"user_input": "What is it?", "ai_model": "gemini-2.0-flash"}
    assert request.file is not None
    assert request.file.data == PNG
    assert request.file.content_type == "image/png"


def test_chat_system_prompt_goes_to_the_rest_api(cli: CLI, emulator: Emulator) -> None:
    result = cli.run("chat", "Hi", "-s", "Answer in French.", "--base-url", emulator.url)

    assert result.returncode == 0, result.stderr
    assert result.stdout == answer_for(DEFAULT_MODEL, "Hi") + "\n"
    [request] = emulator.requests
    assert request.path == "/api/generate_response"
    assert request.query["system"] == "Answer in French."
    assert request.query["user_input"] == "Hi"
    assert request.query["stream"] == "true"


def test_api_flag_forces_the_rest_api_even_without_streaming(cli: CLI, emulator: Emulator) -> None:
    result = cli.run("chat", "Hi", "--api", "--no-stream", "-m", "gemini-flash",
                     "--base-url", emulator.url)  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert result.stdout == answer_for("gemini-2.0-flash", "Hi") + "\n"
    [request] = emulator.requests
    assert request.path == "/api/generate_response"
    assert request.query["model"] == "gemini-2.0-flash"
    assert request.query.get("stream", "false") == "false"


def test_no_stream_without_options_uses_the_web_form(cli: CLI, emulator: Emulator) -> None:
    result = cli.run("chat", "Hi", "--no-stream", "--base-url", emulator.url)

    assert result.returncode == 0, result.stderr
    assert result.stdout == answer_for(DEFAULT_MODEL, "Hi") + "\n"
    assert [request.path for request in emulator.requests] == ["/generate_response"]


def test_prompt_dash_reads_standard_input(cli: CLI) -> None:
    result = cli.run("chat", "-", "--offline", input="from a pipe\n")

    assert result.returncode == 0, result.stderr
    assert result.stdout == answer_for(DEFAULT_MODEL, "from a pipe") + "\n"


def test_a_100_kb_diff_from_standard_input_is_answered(cli: CLI, emulator: Emulator) -> None:
    diff = "".join(f"+line {i} of a long diff, changed\n" for i in range(3500))  # ~100 KB
    result = cli.run("chat", "-", "--base-url", emulator.url, input=diff)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert [request.path for request in emulator.requests] == ["/generate_response"]


def _read_until(fd: int, wanted: bytes, deadline: float) -> bytes:
    # os.read returns whatever the pipe holds now: no waiting for a full buffer or a newline.
    seen = b""
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            seen += chunk
    return seen


def test_chat_prints_pieces_while_the_stream_is_still_held(cli: CLI, emulator: Emulator) -> None:
    answer = answer_for(DEFAULT_MODEL, "one two three")
    first_piece = (answer.split(" ")[0] + " ").encode()
    emulator.hold()  # the emulator sends the first event, then waits for release()

    with subprocess.Popen(
        cli.argv("chat", "one two three", "--base-url", emulator.url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
    ) as process:
        try:
            assert process.stdout is not None
            deadline = time.monotonic() + RUN_TIMEOUT
            seen = _read_until(process.stdout.fileno(), first_piece, deadline)
            assert seen == first_piece
            assert process.poll() is None, "the command ended before the stream was released"
            emulator.release()
            rest, errors = process.communicate(timeout=RUN_TIMEOUT)
        finally:
            emulator.release()
            if process.poll() is None:
                process.kill()

    assert process.returncode == 0, errors
    assert (seen + rest).decode() == answer + "\n"


def test_second_image_is_refused_with_the_librarys_message(
    cli: CLI, emulator: Emulator, tmp_path: Path
) -> None:
    first, second = tmp_path / "a.png", tmp_path / "b.gif"
    first.write_bytes(PNG)
    second.write_bytes(GIF)

    result = cli.run("chat", "Compare", "-i", str(first), "-i", str(second),
                     "--base-url", emulator.url)  # fmt: skip

    line = assert_one_error_line(result, code=2)
    assert "one image per request" in line
    assert result.stdout == ""
    assert emulator.requests == []


def test_image_with_system_prompt_is_refused_before_any_request(
    cli: CLI, emulator: Emulator, tmp_path: Path
) -> None:
    picture = tmp_path / "a.png"
    picture.write_bytes(PNG)

    result = cli.run("chat", "Hi", "-i", str(picture), "-s", "Be brief.",
                     "--base-url", emulator.url)  # fmt: skip

    assert "system" in assert_one_error_line(result, code=2)
    assert emulator.requests == []


def test_unknown_model_gives_one_line_and_exit_2(cli: CLI, emulator: Emulator) -> None:
    result = cli.run("chat", "Hi", "-m", "gpt-nope", "--base-url", emulator.url)

    line = assert_one_error_line(result, code=2)
    assert "'gpt-nope'" in line
    assert "gemini-2.0-flash" in line  # the message lists what would work
    assert emulator.requests == []


def test_unreadable_image_gives_one_line(cli: CLI, tmp_path: Path) -> None:
    result = cli.run("chat", "Hi", "-i", str(tmp_path / "missing.png"), "--offline")

    assert "missing.png" in assert_one_error_line(result, code=2)


def test_unreachable_host_gives_one_line_and_exit_1(cli: CLI) -> None:
    result = cli.run("chat", "Hi", "--base-url", "http://127.0.0.1:1", "--max-retries", "0",
                     "--timeout", "5")  # fmt: skip

    line = assert_one_error_line(result, code=1)
    assert "Could not connect" in line
    assert "127.0.0.1:1" in line
    assert result.stdout == ""


def test_service_error_status_gives_one_line(cli: CLI, emulator: Emulator) -> None:
    from aiodynaspark.testing import Fault

    emulator.push(Fault.status(401, "Invalid API key"))

    result = cli.run("chat", "Hi", "-s", "x", "--base-url", emulator.url, "--max-retries", "0")

    line = assert_one_error_line(result, code=1)
    assert "401" in line
    assert "Invalid API key" in line


def test_verbose_adds_the_traceback_before_the_error_line(cli: CLI) -> None:
    result = cli.run("-v", "chat", "Hi", "-m", "gpt-nope", "--offline")

    assert result.returncode == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert "ModelNotSupportedError" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("error: ")


def test_verbose_after_the_command_means_the_same_as_before_it(cli: CLI) -> None:
    result = cli.run("chat", "Hi", "-m", "gpt-nope", "--offline", "-v")

    assert result.returncode == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("error: ")


def test_verbose_after_a_double_dash_is_the_prompt(cli: CLI) -> None:
    result = cli.run("chat", "--offline", "--", "-v")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == answer_for("gemini-1.5-flash", "-v")


def test_unknown_option_is_a_usage_error(cli: CLI) -> None:
    result = cli.run("chat", "Hi", "--bogus")

    line = assert_one_error_line(result, code=2)
    assert "--bogus" in line
    assert "aiodynaspark chat --help" in line


def test_offline_and_base_url_exclude_each_other(cli: CLI) -> None:
    result = cli.run("chat", "Hi", "--offline", "--base-url", "http://127.0.0.1:1")

    assert "--offline" in assert_one_error_line(result, code=2)


def test_a_silent_host_ends_at_the_deadline_with_the_cli_flags_named(cli: CLI) -> None:
    with Emulator.run_in_thread(host="127.0.0.1", port=0, latency=60.0) as silent:
        result = cli.run(
            "chat", "Hi", "--base-url", silent.url, "--timeout", "0.4", "--deadline", "1"
        )

    line = assert_one_error_line(result, code=1)
    assert "within the deadline of 1 s" in line
    assert "attempts," in line and "s in all" in line
    assert "--deadline" in line and "deadline=" not in line
