"""Ask a gateway's ``/health`` back to back, in a process of its own, and report each wait.

Run: ``python -m benchmarks._health_poller URL``. It prints ``ready`` after its first answer,
polls until a line (or the end) arrives on stdin, then prints the waits in seconds as one
JSON list. The attacks run it as a child process so that what the attacker and the emulator
do in their own process (encoding an 8 MiB answer, say) is not counted against the gateway.
"""

import asyncio
import json
import sys
import time

import aiohttp

# One poll: a frozen gateway answers late, not never; past this the wait is reported as is.
HEALTH_WAIT = 35.0
_POLL_GAP = 0.005


async def _poll(url: str, stop: asyncio.Event) -> list[float]:
    took: list[float] = []
    async with aiohttp.ClientSession() as session:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                async with asyncio.timeout(HEALTH_WAIT), session.get(url + "/health") as answer:
                    await answer.read()
            except (TimeoutError, aiohttp.ClientError):
                pass
            took.append(time.perf_counter() - started)
            if len(took) == 1:
                print("ready", flush=True)
            await asyncio.sleep(_POLL_GAP)
    return took


async def main(url: str) -> None:
    stop = asyncio.Event()
    poller = asyncio.create_task(_poll(url, stop))
    await asyncio.to_thread(sys.stdin.readline)
    stop.set()
    print(json.dumps(await poller), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
