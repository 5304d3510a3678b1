"""Simon Willison's ``llm`` command line tool against the gateway, streamed and not: it reads
``usage`` from both, and crashed on the ``null`` the gateway once sent."""

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest

from aiodynaspark.testing import Emulator

TIMEOUT = 30.0
MODEL = "gemini-2.0-flash"
LLM = shutil.which("llm") or str(Path(sys.executable).with_name("llm"))


async def _llm(gateway: str, home: Path, *args: str) -> tuple[int, str, str]:
    # llm reads extra OpenAI-compatible models from this file in its user directory.
    (home / "extra-openai-models.yaml").write_text(
        f"- model_id: dynaspark\n  model_name: {MODEL}\n  api_base: {gateway}/v1\n"
    )
    env = {**os.environ, "LLM_USER_PATH": str(home)}
    env.pop("OPENAI_API_KEY", None)
    process = await asyncio.create_subprocess_exec(
        LLM,
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(TIMEOUT):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return process.returncode or 0, out.decode(), err.decode()


@pytest.mark.parametrize("streamed", [True, False], ids=["stream", "no-stream"])
async def test_llm_prints_the_answer_and_logs_its_usage(
    gateway: str, emu: Emulator, tmp_path: Path, streamed: bool
) -> None:
    emu.push_reply("Hello from the emulator.")
    flags = () if streamed else ("--no-stream",)
    code, out, err = await _llm(gateway, tmp_path, "-m", "dynaspark", *flags, "Say hello")
    assert code == 0, err
    assert out.strip() == "Hello from the emulator."
    code, logged, err = await _llm(gateway, tmp_path, "logs", "-n", "1", "--json")
    assert code == 0, err
    assert '"input_tokens"' in logged and '"output_tokens"' in logged
