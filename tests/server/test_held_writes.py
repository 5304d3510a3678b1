"""The gateway's protocol holds an answer's writes to the end of the loop's pass, then joins
them."""

import asyncio
import json
from typing import Any

import openai

from aiodynaspark.server import create_app
from aiodynaspark.server._protocol import HeldWrites
from aiodynaspark.server._serve import uvicorn_options_for
from aiodynaspark.server._settings import ServeSettings
from aiodynaspark.testing import Emulator, answer_for
from support.gateway import SDK_TIMEOUT, run_gateway

TIMEOUT = 5.0


class _Recorder(asyncio.Transport):
    """A transport that keeps what is written to it, and whether it was closed."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.lost = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0

    def is_closing(self) -> bool:
        return self.closed or self.lost


async def test_writes_of_one_pass_of_the_loop_leave_in_one_write() -> None:
    recorder = _Recorder()
    held = HeldWrites(recorder, asyncio.get_running_loop())
    held.write(b"HTTP/1.1 200 OK\r\n\r\n")
    held.write(b"body")
    assert recorder.writes == []
    assert held.get_write_buffer_size() == len(b"HTTP/1.1 200 OK\r\n\r\nbody")
    await asyncio.sleep(0)
    assert recorder.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
    held.write(b"more")
    await asyncio.sleep(0)
    assert recorder.writes[1:] == [b"more"]


async def test_closing_writes_what_is_held_first() -> None:
    recorder = _Recorder()
    held = HeldWrites(recorder, asyncio.get_running_loop())
    held.write(b"last words")
    held.close()
    assert recorder.writes == [b"last words"]
    assert recorder.closed
    await asyncio.sleep(0)
    assert recorder.writes == [b"last words"]  # nothing written twice


async def test_what_is_held_when_the_connection_is_lost_is_dropped() -> None:
    recorder = _Recorder()
    held = HeldWrites(recorder, asyncio.get_running_loop())
    held.write(b"for nobody")
    recorder.lost = True
    await asyncio.sleep(0)
    assert recorder.writes == []


async def test_answers_through_the_protocol_arrive_whole_on_one_connection(emu: Emulator) -> None:
    app = create_app(base_url=emu.url, max_retries=0, ui=False)
    options = uvicorn_options_for(ServeSettings(), "warning")
    hi = [{"role": "user", "content": "Hi there"}]
    async with (
        run_gateway(app, **options) as root,
        openai.AsyncOpenAI(
            base_url=f"{root}/v1", api_key="x", max_retries=0, timeout=SDK_TIMEOUT
        ) as client,
    ):
        async with asyncio.timeout(TIMEOUT * 4):
            for _ in range(3):  # one kept-alive connection, answers one after the other
                whole = await client.chat.completions.create(model="gemini-1.5-flash", messages=hi)
                stream = await client.chat.completions.create(
                    model="gemini-1.5-flash", messages=hi, stream=True
                )
                pieces = [chunk.choices[0].delta.content or "" async for chunk in stream]
                text = whole.choices[0].message.content
                assert text == answer_for("gemini-1.5-flash", "Hi there")
                assert "".join(pieces) == text
        host, port = root.removeprefix("http://").split(":")
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), TIMEOUT)
        try:
            # An answer that closes the connection is written whole before the close.
            writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            answer = await asyncio.wait_for(reader.read(), TIMEOUT)
        finally:
            writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert json.loads(body)["status"] == "ok"
