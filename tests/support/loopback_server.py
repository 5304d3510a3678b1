"""The part every small hand-written test server shares: a socket on 127.0.0.1, its URL, closing."""

import asyncio
import contextlib
from types import TracebackType
from typing import Self


class LoopbackServer:
    """An asyncio server on 127.0.0.1 and an OS-chosen port; subclasses answer in ``_handle``."""

    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        """The server's base URL."""
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError
