"""A server on 127.0.0.1 that answers every request with the same bytes, header lines and all.

For answers the emulator would never give: no Content-Type header, a model other than the
one asked for, usage with a missing or mistyped count.
"""

import asyncio
import json

from support.loopback_server import LoopbackServer


def http_answer(body: bytes, content_type: str | None = "application/json") -> bytes:
    """A whole ``200`` answer with ``body``, and no ``Content-Type`` when it is ``None``."""
    head = [b"HTTP/1.1 200 OK", b"Content-Length: %d" % len(body), b"Connection: close"]
    if content_type is not None:
        head.append(b"Content-Type: " + content_type.encode())
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def json_answer(payload: object) -> bytes:
    """A whole ``200`` JSON answer."""
    return http_answer(json.dumps(payload).encode())


class RawServer(LoopbackServer):
    """Answers each connection's first request with ``answer``, then closes it.

    Attributes:
        targets: The request line's target (path and query) of each request, in order.
    """

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.targets: list[str] = []

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(5):
                head = await reader.readuntil(b"\r\n\r\n")
                self.targets.append(head.split(b" ", 2)[1].decode("latin-1"))
                writer.write(self.answer)
                await writer.drain()
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
