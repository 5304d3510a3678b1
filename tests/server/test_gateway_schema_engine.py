"""The JSON schema engine: not loaded at start, loaded off the event loop when first needed.

Each test runs a gateway in a fresh process, the only place where "not imported yet" holds:
the test process has loaded the engine long before.
"""

import asyncio
import json
import os
import sys

import pytest

from support.tools import SchemaPlace

# Started, it says whether the engine is loaded; then it sends one request putting a schema at
# the place given and says on which threads the engine was imported.
_SCRIPT = """
import asyncio, json, sys, threading
from importlib.abc import MetaPathFinder

importers = []

class Watch(MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "jsonschema_rs":
            importers.append(threading.current_thread().name)
        return None

sys.meta_path.insert(0, Watch())

from aiodynaspark.server import create_app
from aiodynaspark.testing import Emulator
from support.gateway import fetch, run_gateway
from support.tools import SchemaPlace, schema_request

async def main():
    path, body = schema_request(SchemaPlace(sys.argv[1]), {"type": "object"})
    async with Emulator() as emu:
        app = create_app(base_url=emu.url, max_retries=0, ui=False)
        async with run_gateway(app) as root:
            at_start = "jsonschema_rs" in sys.modules
            answer = await fetch("POST", root + path, json=body)
    print(json.dumps({"at_start": at_start, "status": answer.status, "importers": importers}))

asyncio.run(main())
"""

# The chat route calls the client itself; the Responses and Messages routes share a call.
_ROUTES = [SchemaPlace.CHAT_FORMAT, SchemaPlace.MESSAGES_FORMAT]


_TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


async def _run(place: SchemaPlace) -> dict[str, object]:
    path = os.pathsep.join([_TESTS, *sys.path])
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _SCRIPT,
        str(place),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": path},
    )
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()[-2000:]
    result: dict[str, object] = json.loads(out.decode().strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("place", _ROUTES, ids=str)
async def test_the_first_request_with_a_schema_loads_the_engine_off_the_event_loop(
    place: SchemaPlace,
) -> None:
    result = await _run(place)
    assert result["at_start"] is False
    assert result["status"] == 200
    importers = result["importers"]
    assert isinstance(importers, list) and importers
    assert "MainThread" not in importers
