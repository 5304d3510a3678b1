"""A small real HTTP forward proxy for the proxy tests (plain HTTP, absolute-form requests)."""

import asyncio
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from support.loopback_server import LoopbackServer


@dataclass
class ForwardProxy(LoopbackServer):
    """Relays each request to its target and records what it saw.

    Attributes:
        seen: ``(request line, Proxy-Authorization header or None)`` per request.
    """

    seen: list[tuple[str, str | None]] = field(default_factory=list)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(10):
                await self._relay(reader, writer)
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        headers = [line for line in lines[1:] if line]
        auth = next(
            (
                h.split(":", 1)[1].strip()
                for h in headers
                if h.lower().startswith("proxy-authorization:")
            ),
            None,
        )
        self.seen.append((lines[0], auth))
        length = next(
            (int(h.split(":", 1)[1]) for h in headers if h.lower().startswith("content-length:")), 0
        )
        body = await reader.readexactly(length) if length else b""
        parts = urlsplit(target)
        upstream_reader, upstream_writer = await asyncio.open_connection(
            parts.hostname, parts.port or 80
        )
        kept = [
            h for h in headers if not h.lower().startswith(("proxy-", "connection:", "keep-alive:"))
        ]
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        request = f"{method} {path} {version}\r\n" + "".join(f"{h}\r\n" for h in kept)
        upstream_writer.write(request.encode("latin-1") + b"Connection: close\r\n\r\n" + body)
        await upstream_writer.drain()
        answer = await upstream_reader.read()
        upstream_writer.close()
        # Tell the client this connection ends with the answer.
        answer = answer.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
        writer.write(answer)
        await writer.drain()
