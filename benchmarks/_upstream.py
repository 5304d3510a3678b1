"""The upstream servers the benchmarks talk to, each run in its own process.

Two kinds, and the run keeps whichever answers faster (it says which):

* ``emulator``: :class:`aiodynaspark.testing.Emulator` with ``record=False``;
* ``minimal``: a bare asyncio protocol on the ``httptools`` parser that answers the same
  bytes the emulator would for the benchmark's one prompt, plus an OpenAI-shaped
  ``/v1/chat/completions`` for the ``openai`` SDK. It parses nothing it does not need, so
  the client side is what a run measures.

Run as ``python -m benchmarks._upstream KIND --delay 0 --delay 0.02``: one listening socket
per ``--delay`` (seconds between stream events), and one JSON line on stdout,
``{"kind": ..., "urls": [...]}``, once every socket accepts connections.
"""

import argparse
import asyncio
import functools
import json
import signal
import sys
from collections.abc import Sequence

from ._common import MODEL, PIECES, WEB_ANSWER

__all__ = ["main"]

_WEB_BODY = json.dumps({"response": WEB_ANSWER}).encode()
_OPENAI_BODY = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1700000000,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": WEB_ANSWER},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 20, "completion_tokens": 20, "total_tokens": 40},
    }
).encode()
_NOT_FOUND = b'{"error": "not found"}'


def _head(status: str, content_type: str, length: int | None, keep_alive: bool) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}"]
    lines.append(
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    )
    if length is None:
        lines.append("Cache-Control: no-cache")
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _event(piece: str) -> bytes:
    data = json.dumps({"choices": [{"delta": {"content": piece}}]})
    return f"data: {data}\n\n".encode()


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


_EVENTS = [_chunk(_event(piece)) for piece in PIECES]
_DONE = _chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n"


class _Http(asyncio.Protocol):
    """One connection: requests in, canned answers out; streams paced by ``delay``."""

    def __init__(self, delay: float) -> None:
        import httptools

        self._delay = delay
        self._parser = httptools.HttpRequestParser(self)
        self._url = b""
        self._body = bytearray()
        self._transport: asyncio.Transport | None = None
        self._streaming: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        if self._streaming is not None:
            self._streaming.cancel()

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except Exception:  # malformed request: drop the connection, as servers do
            assert self._transport is not None
            self._transport.close()

    def on_message_begin(self) -> None:
        self._url = b""
        self._body.clear()

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_body(self, body: bytes) -> None:
        if len(self._body) < 65536:  # only a chat body's "stream" flag is ever read
            self._body += body

    def on_message_complete(self) -> None:
        transport = self._transport
        assert transport is not None
        keep = bool(self._parser.should_keep_alive())
        path, _, query = self._url.partition(b"?")
        method = self._parser.get_method()
        if method == b"POST" and path == b"/generate_response":
            transport.write(_head("200 OK", "text/html; charset=utf-8", len(_WEB_BODY), keep))
            transport.write(_WEB_BODY)
        elif method == b"GET" and path == b"/api/generate_response" and b"stream=true" in query:
            self._streaming = asyncio.ensure_future(self._stream(keep))
            return
        elif method == b"POST" and path == b"/v1/chat/completions":
            if b'"stream":true' in self._body.replace(b" ", b""):
                self._streaming = asyncio.ensure_future(self._stream(keep))
                return
            transport.write(_head("200 OK", "application/json", len(_OPENAI_BODY), keep))
            transport.write(_OPENAI_BODY)
        else:
            transport.write(_head("404 Not Found", "application/json", len(_NOT_FOUND), keep))
            transport.write(_NOT_FOUND)
        if not keep:
            transport.close()

    async def _stream(self, keep: bool) -> None:
        # Paced like the emulator: the first event at once, then `delay` before each next
        # event and before the end marker.
        transport = self._transport
        assert transport is not None
        transport.write(_head("200 OK", "text/event-stream", None, keep))
        for index, event in enumerate(_EVENTS):
            if index and self._delay:
                await asyncio.sleep(self._delay)
            transport.write(event)
        if self._delay:
            await asyncio.sleep(self._delay)
        transport.write(_DONE)
        if not keep:
            transport.close()


async def _serve_minimal(delays: Sequence[float]) -> list[str]:
    loop = asyncio.get_running_loop()
    urls = []
    for delay in delays:
        server = await loop.create_server(
            functools.partial(_Http, delay), "127.0.0.1", 0, backlog=1024
        )
        port = server.sockets[0].getsockname()[1]
        urls.append(f"http://127.0.0.1:{port}")
    return urls


async def _serve_emulator(delays: Sequence[float]) -> list[str]:
    from aiodynaspark.testing import Emulator

    urls = []
    for delay in delays:
        emulator = Emulator(stream_delay=delay, record=False)
        await emulator.start()
        urls.append(emulator.url)
    return urls


async def _run(kind: str, delays: Sequence[float]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    serve = _serve_minimal if kind == "minimal" else _serve_emulator
    urls = await serve(delays)
    print(json.dumps({"kind": kind, "urls": urls}), flush=True)
    await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks._upstream")
    parser.add_argument("kind", choices=["minimal", "emulator"])
    parser.add_argument("--delay", type=float, action="append", default=None)
    args = parser.parse_args(argv)
    try:
        import uvloop  # the server should be the fast side of every measurement
    except ImportError:
        asyncio.run(_run(args.kind, args.delay or [0.0]))
    else:
        uvloop.run(_run(args.kind, args.delay or [0.0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
