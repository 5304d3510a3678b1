"""What a started gateway has not imported: modules only a rare path needs stay unloaded.

Each module kept out of the start saves resident memory in every gateway process
(docs/performance.md). The gateway runs in a fresh process, as ``aiodynaspark serve`` builds
and serves it, and says which modules it holds once ``/health`` answered.
"""

import functools
import json
import subprocess
import sys

import pytest

# Builds the app from settings as `serve` does (the command line loaded first, as the command
# loads it), serves it with serve's uvicorn options, asks /health, then prints the modules
# loaded since the script began: what the interpreter held before (a coverage tracer started
# at start-up reads its TOML settings, for one) is not the gateway's.
_SCRIPT = """
import sys
ALREADY = set(sys.modules)
import asyncio, json

import aiodynaspark.cli
import aiohttp
import uvicorn
from aiodynaspark.server._app import app_from_settings
from aiodynaspark.server._serve import uvicorn_options_for
from aiodynaspark.server._settings import ServeSettings, load_settings

async def main():
    options = {"port": 0, "base_url": "http://127.0.0.1:9", **json.loads(sys.argv[1])}
    settings = load_settings(ServeSettings, options)
    server = uvicorn.Server(
        uvicorn.Config(app_from_settings(settings), **uvicorn_options_for(settings, "warning"))
    )
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(30):
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/health") as answer:
                assert answer.status == 200, answer.status
        print(json.dumps(sorted(set(sys.modules) - ALREADY)))
        server.should_exit = True
        await task

asyncio.run(main())
"""


@functools.cache
def _modules(**settings: object) -> frozenset[str]:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, json.dumps(settings)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    names: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return frozenset(names)


def _loaded(module: str, **settings: object) -> bool:
    return any(name == module or name.startswith(module + ".") for name in _modules(**settings))


def test_the_settings_are_read_without_pydantic_settings() -> None:
    assert not _loaded("pydantic_settings")
    assert not _loaded("dotenv")


def test_fastapis_routes_wait_for_a_request_needing_one() -> None:
    # Building a route FastAPI's way imports pydantic.v1 (to check a model is not one).
    assert not _loaded("pydantic.v1")


def test_the_nearest_name_finder_waits_for_a_misspelt_name() -> None:
    assert not _loaded("difflib")


def test_the_gateway_does_not_load_the_blocking_client() -> None:
    # It serves from AsyncClient alone; Client and its loop thread are loaded when named.
    assert not _loaded("aiodynaspark.client._sync_client")


def test_the_toml_reader_waits_for_a_keys_file() -> None:
    assert not _loaded("tomllib")


@pytest.mark.parametrize("module", ["prometheus_client", "wsgiref"])
def test_a_gateway_with_metrics_off_does_not_load_the_metrics_library(module: str) -> None:
    assert not _loaded(module, metrics=False)


def test_the_metrics_library_is_loaded_at_start_when_metrics_are_on() -> None:
    # On by default: /metrics must not import it on the event loop at its first scrape.
    assert _loaded("prometheus_client")
