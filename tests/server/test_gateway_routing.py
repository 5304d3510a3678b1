"""How a request reaches its route: the busy routes served directly, FastAPI's built on demand.

The gateway builds FastAPI's routes at the first request that needs one (a route only FastAPI
serves, a wrong method, the OpenAPI document), in a worker thread, while the loop goes on
serving; the Responses and Messages bodies are built at their first request, in a thread too.
"""

import asyncio
import os
import subprocess
import sys
import threading
from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.responses import PlainTextResponse

from aiodynaspark.server import create_app
from aiodynaspark.testing import Emulator
from support.gateway import assert_openai_error, fetch, run_gateway

MODEL = "gemini-2.0-flash"
CHAT = {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}]}
# Long enough for any build on a loaded machine; a build held on the loop waits it out.
HOLD_SECONDS = 20.0


async def test_fastapi_builds_its_routes_in_a_worker_thread_while_the_loop_serves(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    building = threading.Event()
    release = threading.Event()
    waits: list[bool] = []
    build = APIRoute.__init__

    def held(self: APIRoute, *args: Any, **kwargs: Any) -> None:
        building.set()
        # Built on the loop, this would hold it: no /health could answer to release it.
        waits.append(release.wait(HOLD_SECONDS))
        build(self, *args, **kwargs)

    monkeypatch.setattr(APIRoute, "__init__", held)
    app = create_app(base_url=emu.url, max_retries=0)
    async with run_gateway(app) as url, asyncio.timeout(3 * HOLD_SECONDS):
        document = asyncio.create_task(fetch("GET", f"{url}/openapi.json"))
        assert await asyncio.to_thread(building.wait, HOLD_SECONDS)
        health = await fetch("GET", f"{url}/health")
        release.set()
        answer = await document
    assert health.status == 200
    assert waits and all(waits)
    assert answer.status == 200
    assert "/v1/responses/{response_id}/input_items" in answer.json()["paths"]


async def test_a_route_only_fastapi_serves_answers_after_a_chat(gateway: str) -> None:
    chat = await fetch("POST", f"{gateway}/v1/chat/completions", json=CHAT)
    assert chat.status == 200
    items = await fetch("GET", f"{gateway}/v1/responses/resp_unknown/input_items?limit=2")
    error = assert_openai_error(items, 404)
    assert "resp_unknown" in error["message"]


async def test_a_body_the_model_refuses_gets_fastapis_words(gateway: str) -> None:
    answer = await fetch("POST", f"{gateway}/v1/chat/completions", json={"model": MODEL})
    error = assert_openai_error(answer, 400)
    assert "messages" in error["message"]


async def test_a_wrong_method_on_a_directly_served_route_gets_fastapis_405(gateway: str) -> None:
    answer = await fetch("GET", f"{gateway}/v1/chat/completions")
    assert answer.status == 405
    assert answer.headers["allow"] == "POST"


async def test_a_route_added_to_the_app_after_create_app_is_served(emu: Emulator) -> None:
    app = create_app(base_url=emu.url, max_retries=0)

    @app.get("/extra")
    async def extra() -> PlainTextResponse:
        return PlainTextResponse("mine")

    async with run_gateway(app) as url:
        added = await fetch("GET", f"{url}/extra")
        chat = await fetch("POST", f"{url}/v1/chat/completions", json=CHAT)
        # FastAPI's routes, built now, take the stand-in's place, and only its place.
        document = await fetch("GET", f"{url}/openapi.json")
        again = await fetch("GET", f"{url}/extra")
    assert (added.status, added.text) == (200, "mine")
    assert chat.status == 200
    assert document.status == 200
    assert (again.status, again.text) == (200, "mine")


def test_every_route_is_found_by_name_before_and_after_the_build(emu: Emulator) -> None:
    app = create_app(base_url=emu.url, max_retries=0)
    for _ in ("before", "after"):  # the OpenAPI document's name needs FastAPI's routes built
        assert app.url_path_for("create_chat_completion") == "/v1/chat/completions"
        assert app.url_path_for("retrieve_model", model=MODEL) == f"/v1/models/{MODEL}"
        assert app.url_path_for("openapi") == "/openapi.json"


async def test_a_declared_route_with_dependencies_runs_them(emu: Emulator) -> None:
    # A route that declares dependencies (a key check, say) is never served directly: the
    # short path calls the endpoint alone, so FastAPI's route, which runs them, serves it.
    from fastapi import Depends, FastAPI

    from aiodynaspark.server.core._routing import DeclaredRouter, DeferredRoutes, direct_routes

    ran: list[str] = []

    async def note_route() -> None:
        ran.append("route")

    async def note_router() -> None:
        ran.append("router")

    guarded, fenced = DeclaredRouter(), DeclaredRouter(dependencies=[Depends(note_router)])

    @guarded.get("/guarded", dependencies=[Depends(note_route)])
    async def guarded_endpoint() -> PlainTextResponse:
        return PlainTextResponse("guarded")

    @fenced.get("/fenced")
    async def fenced_endpoint() -> PlainTextResponse:
        return PlainTextResponse("fenced")

    app = FastAPI()
    routers = [guarded, fenced]
    deferred = DeferredRoutes(app.router, app.router.routes, routers)
    app.router.routes[:] = [*direct_routes(routers, deferred), deferred]
    async with run_gateway(app) as url:
        first = await fetch("GET", f"{url}/guarded")
        second = await fetch("GET", f"{url}/fenced")
    assert (first.text, second.text) == ("guarded", "fenced")
    assert ran == ["route", "router"]


async def test_a_gateway_behind_a_path_prefix_serves_its_direct_routes(emu: Emulator) -> None:
    # Behind a proxy that strips "/llm", uvicorn's root path puts it back in the scope's path;
    # the direct routes match what follows it, as FastAPI's routes do.
    app = create_app(base_url=emu.url, max_retries=0)
    async with run_gateway(app, root_path="/llm") as url:
        chat = await fetch("POST", f"{url}/v1/chat/completions", json=CHAT)
        model = await fetch("GET", f"{url}/v1/models/{MODEL}")
    assert chat.status == 200
    assert (model.status, model.json()["id"]) == (200, MODEL)


def test_the_openapi_document_lists_every_route_before_any_request(emu: Emulator) -> None:
    paths = create_app(base_url=emu.url).openapi()["paths"]
    assert set(paths) == {
        "/v1/chat/completions",
        "/v1/images/generations",
        "/v1/audio/speech",
        "/v1/models",
        "/v1/models/{model}",
        "/health",
        "/health/ready",
        "/v1/responses",
        "/v1/responses/{response_id}",
        "/v1/responses/{response_id}/input_items",
        "/v1/messages",
        "/v1/messages/count_tokens",
    }


# A fresh process, where no test built the Messages body yet: it is not built by create_app,
# and its first request builds it in a thread other than the loop's.
_BODY_SCRIPT = """
import asyncio, sys, threading
import aiohttp
from aiodynaspark.server import create_app
from aiodynaspark.server.messages._schemas import MessagesRequest
from aiodynaspark.testing import Emulator
from support.gateway import run_gateway

threads = []
rebuild = MessagesRequest.model_rebuild.__func__

def spy(cls, *args, **kwargs):
    threads.append(threading.current_thread() is threading.main_thread())
    return rebuild(cls, *args, **kwargs)

MessagesRequest.model_rebuild = classmethod(spy)

async def main():
    async with asyncio.timeout(30), Emulator() as emu:
        app = create_app(base_url=emu.url, max_retries=0)
        print("built at start:", MessagesRequest.__pydantic_complete__)
        async with run_gateway(app) as url, aiohttp.ClientSession() as session:
            body = {"model": "gemini-2.0-flash", "max_tokens": 9, "messages": [
                {"role": "user", "content": "Hi"}]}
            async with session.post(url + "/v1/messages", json=body) as answer:
                print("status:", answer.status)
    print("built on the loop's thread:", threads)

asyncio.run(main())
"""


def test_the_messages_body_is_built_at_its_first_request_off_the_loop() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _BODY_SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        # The test run's own path: this tree's package, and the tests' support modules.
        env={**os.environ, "PYTHONPATH": os.pathsep.join(os.path.abspath(p) for p in sys.path)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == [
        "built at start: False",
        "status: 200",
        "built on the loop's thread: [False]",
    ]
