"""Run a gateway in its own process, for tests that measure it (memory, load).

Usage: ``python gateway_process.py BASE_URL``. Prints ``PORT <n>`` on stdout once uvicorn
listens on 127.0.0.1 (port chosen by the OS) and serves until SIGTERM. The upstream client is
built here with retries on and a short backoff, and handed to ``create_app(client=...)``.
"""

import asyncio
import sys

import uvicorn

from aiodynaspark import AsyncClient
from aiodynaspark.server import create_app


async def main(base_url: str) -> None:
    async with AsyncClient(
        base_url=base_url, max_retries=2, backoff_base=0.01, timeout=10.0
    ) as client:
        config = uvicorn.Config(
            create_app(client=client, ui=False),
            host="127.0.0.1",
            port=0,
            access_log=False,
            log_level="warning",
            lifespan="on",
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                await task
                return
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        print(f"PORT {port}", flush=True)
        await task


if __name__ == "__main__":
    # The standard asyncio loop, as serve() runs the gateway.
    asyncio.run(main(sys.argv[1]))
