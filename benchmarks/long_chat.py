"""How many turns of a growing conversation stream, as the chat page sends them.

``python -m benchmarks.long_chat`` starts the emulator (with its 414 for request lines past
8 KB, as a proxy in front of the host) and the gateway in this process, then plays the chat
page: each turn sends the whole conversation with ``stream: true`` and gets a 1 KB answer,
which joins the conversation. A turn streams when the gateway asked the REST API (a GET);
it arrives whole when the conversation went by the web form (a POST). Printed for English and
for Arabic (percent-encoding makes each Arabic letter 6 bytes of URL), without and with
``x-aiodynaspark-truncation: auto`` (the chat page's "Keep streaming"). Every turn is bounded
in time and the turns in number.

Then, for each of the three APIs, one long conversation streamed while the web form takes
``--form-seconds`` to answer: when the headers came, when the first bytes of the body (the
opening events, if the API has any), and when the whole answer was in.

Run it against another checkout with ``PYTHONPATH=that/src python -m benchmarks.long_chat``.
"""

import argparse
import asyncio
import json
import os
import time
from typing import Any

import aiohttp
import uvicorn

from aiodynaspark.server import create_app
from aiodynaspark.testing import Emulator

TURNS = 30
TURN_SECONDS = 30.0
ANSWER_CHARS = 1000
# One question and one answer per turn, in each language.
TEXTS = {
    "English": ("What comes next in the story?", "The story goes on. " * 53),
    "Arabic": ("ماذا يحدث بعد ذلك في القصة؟", "تستمر القصة هنا. " * 59),
}


async def _start_gateway(emulator_url: str) -> tuple[uvicorn.Server, "asyncio.Task[None]", str]:
    app = create_app(base_url=emulator_url, max_retries=0, ui=False)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(TURN_SECONDS):
        while not server.started:  # uvicorn offers no event for it
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, task, f"http://127.0.0.1:{port}"


async def _turn(
    session: aiohttp.ClientSession, root: str, messages: list[dict[str, str]], truncate: bool
) -> str:
    headers = {"x-aiodynaspark-truncation": "auto"} if truncate else {}
    body = {
        "model": "gemini-2.0-flash",
        "messages": messages,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    async with asyncio.timeout(TURN_SECONDS):
        async with session.post(
            f"{root}/v1/chat/completions", json=body, headers=headers
        ) as response:
            response.raise_for_status()
            text = (await response.read()).decode()
    pieces = []
    for line in text.splitlines():
        if line.startswith("data: {"):
            event = json.loads(line[len("data: ") :])
            for choice in event.get("choices") or ():
                pieces.append(choice.get("delta", {}).get("content") or "")
    return "".join(pieces)


async def count_streamed_turns(language: str, truncate: bool) -> tuple[int, int]:
    """Play ``TURNS`` turns; return how many streamed before the first whole one, and in all."""
    question, answer = TEXTS[language]
    answer = answer[:ANSWER_CHARS]
    async with Emulator() as emu, aiohttp.ClientSession() as session:
        server, task, root = await _start_gateway(emu.url)
        try:
            messages: list[dict[str, str]] = []
            streamed: list[bool] = []
            for _ in range(TURNS):
                messages.append({"role": "user", "content": question})
                emu.push_reply(answer)
                reply = await _turn(session, root, messages, truncate)
                streamed.append(emu.requests[-1].method == "GET")
                messages.append({"role": "assistant", "content": reply or answer})
        finally:
            server.should_exit = True
            async with asyncio.timeout(TURN_SECONDS):
                await task
    before_whole = streamed.index(False) if False in streamed else len(streamed)
    return before_whole, sum(streamed)


# A conversation past the REST API's URL budget, and each API's streamed request for it.
_LONG_QUESTION = "Tell me the whole story again. " + "The story goes on. " * 2_000
_WHOLE_STREAMS: dict[str, dict[str, Any]] = {
    "/v1/chat/completions": {"messages": [{"role": "user", "content": _LONG_QUESTION}]},
    "/v1/responses": {"input": _LONG_QUESTION},
    "/v1/messages": {
        "max_tokens": 64_000,
        "messages": [{"role": "user", "content": _LONG_QUESTION}],
    },
}


async def time_whole_streams(form_seconds: float) -> dict[str, tuple[float, float, float]]:
    """Per API: seconds to a whole stream's headers, to its first bytes, and to its end."""
    times = {}
    async with Emulator(latency=form_seconds) as emu, aiohttp.ClientSession() as session:
        server, task, root = await _start_gateway(emu.url)
        try:
            for path, fields in _WHOLE_STREAMS.items():
                body = {"model": "gemini-2.0-flash", "stream": True, **fields}
                async with asyncio.timeout(TURN_SECONDS + form_seconds):
                    started = time.perf_counter()
                    async with session.post(root + path, json=body) as response:
                        headers = time.perf_counter() - started
                        response.raise_for_status()
                        await response.content.readany()
                        first = time.perf_counter() - started
                        await response.read()
                        times[path] = (headers, first, time.perf_counter() - started)
        finally:
            server.should_exit = True
            async with asyncio.timeout(TURN_SECONDS):
                await task
    return times


async def main(truncation: bool, form_seconds: float) -> None:
    """Print one line per language and mode, then one per API for a whole stream."""
    load = os.getloadavg()[0]
    print(f"{TURNS} turns of {ANSWER_CHARS}-character answers; load average {load:.2f}")
    modes = (False, True) if truncation else (False,)
    for language in TEXTS:
        for truncate in modes:
            first_whole, total = await count_streamed_turns(language, truncate)
            mode = "truncation: auto" if truncate else "whole conversation"
            print(
                f"{language:8} {mode:19} streamed before the first whole answer: "
                f"{first_whole:2}; streamed in all: {total:2} of {TURNS}"
            )
    print(f"A stream answered whole, the web form taking {form_seconds:.1f} s:")
    for path, (headers, first, done) in (await time_whole_streams(form_seconds)).items():
        print(
            f"{path:21} headers after {headers * 1000:6.1f} ms, first body bytes after "
            f"{first * 1000:7.1f} ms, whole after {done:5.2f} s"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--no-truncation",
        action="store_true",
        help="Only the whole-conversation mode (a gateway without truncation).",
    )
    parser.add_argument(
        "--form-seconds",
        type=float,
        default=2.0,
        help="Seconds the web form takes to answer the whole-stream timings (default 2).",
    )
    arguments = parser.parse_args()
    asyncio.run(main(not arguments.no_truncation, arguments.form_seconds))
