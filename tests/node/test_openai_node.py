"""The official openai-node SDK (tests/node/package.json pins it) against the gateway, under Node.

``npm ci --prefix tests/node`` installs it (``.ci/run`` does); the tests skip only when there
is no ``node`` at all.
"""

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from aiodynaspark.server import create_app
from aiodynaspark.testing import Emulator
from support.gateway import run_gateway

HERE = Path(__file__).parent
NODE = shutil.which("node")
# Node's start-up and the SDK's import are well under a second; this catches a wedged run.
NODE_SECONDS = 60.0

pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed (node not on PATH)")


async def run_node(gateway: str, scenario: str) -> dict[str, object]:
    assert NODE is not None
    if not (HERE / "node_modules" / "openai").is_dir():
        pytest.fail("openai-node is not installed: run npm ci --prefix tests/node")
    process = await asyncio.create_subprocess_exec(
        NODE,
        str(HERE / "openai_node.mjs"),
        gateway,
        scenario,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(NODE_SECONDS):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    result: dict[str, object] = json.loads(out)
    return result


async def test_openai_node_gets_a_completion_and_the_ignored_fields_header(emu: Emulator) -> None:
    async with run_gateway(create_app(base_url=emu.url, max_retries=0, api_key="")) as root:
        result = await run_node(root, "chat")
    assert result == {
        "content": "[gemini-2.0-flash] Hello there",
        "ignored": "reasoning_effort",
    }


async def test_openai_node_reads_a_stream_whole(emu: Emulator) -> None:
    async with run_gateway(create_app(base_url=emu.url, max_retries=0, api_key="")) as root:
        result = await run_node(root, "stream")
    assert result == {"content": "[gemini-2.0-flash] Hello there"}


async def test_openai_node_does_not_retry_an_invalid_model_output(emu: Emulator) -> None:
    emu.push_reply("prose", "more prose")
    async with run_gateway(create_app(base_url=emu.url, max_retries=0, api_key="")) as root:
        result = await run_node(root, "invalid")
    assert result == {"error": "InternalServerError", "status": 502, "code": "invalid_model_output"}
    # The first try and its repair round; the SDK's two retries would have made six.
    assert len(emu.requests) == 2
