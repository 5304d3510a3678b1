"""Scenario 3: a paced streamed answer, time to its first piece and to its end.

The upstream sends the first event at once, then one every ``delay`` seconds. Each variant
keeps its pool warm and the variants take turns, one stream each, so the medians compare
streams taken side by side. The gateway is measured with the same raw aiohttp reader as
the floor, so what it adds is the gateway alone.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp

from ._common import MESSAGES, MODEL, PROMPT, STREAM_ANSWER, median

__all__ = ["run_streaming"]

Opener = Callable[[], AsyncIterator[str]]


async def _raw_pieces(response: aiohttp.ClientResponse) -> AsyncIterator[str]:
    """The content pieces of an OpenAI-shaped SSE body: the least work that reads them."""
    buffer = b""
    async for chunk in response.content.iter_any():
        buffer += chunk
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            data = event.removeprefix(b"data: ")
            if data == b"[DONE]":
                return
            delta = json.loads(data)["choices"][0]["delta"]
            if delta.get("content"):
                yield delta["content"]


async def _time_stream(
    open_stream: Callable[[], Awaitable[AsyncIterator[str]]],
) -> tuple[float, float]:
    started = time.perf_counter()
    first = 0.0
    pieces: list[str] = []
    async for piece in await open_stream():
        if not pieces:
            first = time.perf_counter() - started
        pieces.append(piece)
    total = time.perf_counter() - started
    if "".join(pieces) != STREAM_ANSWER:
        raise AssertionError(f"unexpected stream {''.join(pieces)!r}")
    return first, total


class _Variants:
    def __init__(self, url: str, gateway_url: str | None) -> None:
        self.url = url
        self.gateway_url = gateway_url

    async def __aenter__(self) -> "_Variants":
        from aiodynaspark import AsyncClient, DynasparkAPI

        self.session = aiohttp.ClientSession()
        self.provider_session = aiohttp.ClientSession()
        self.client = AsyncClient(base_url=self.url)
        self.provider = DynasparkAPI
        query = urlencode({"user_input": PROMPT, "model": MODEL, "stream": "true"})
        self.raw_url = f"{self.url}/api/generate_response?{query}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()
        await self.provider_session.close()
        await self.client.close()

    def table(self) -> dict[str, tuple[str, Callable[[], Awaitable[AsyncIterator[str]]]]]:
        table: dict[str, tuple[str, Callable[[], Awaitable[AsyncIterator[str]]]]] = {
            "floor": ("floor: raw aiohttp, SSE read by hand", self.raw),
            "provider": ("DynasparkAPI.create_async_generator, shared session", self.via_provider),
            "async_client": ("AsyncClient, stream=True", self.via_client),
        }
        if self.gateway_url is not None:
            table["gateway"] = ("the gateway, read as the floor reads", self.via_gateway)
        return table

    async def warm_gateway(self, count: int) -> None:
        body = {"model": MODEL, "messages": MESSAGES}
        for _ in range(count if self.gateway_url else 0):
            async with self.session.post(f"{self.gateway_url}/v1/chat/completions", json=body) as r:
                await r.read()

    async def raw(self) -> AsyncIterator[str]:
        response = await self.session.get(self.raw_url)
        return self._release_after(response, _raw_pieces(response))

    async def via_gateway(self) -> AsyncIterator[str]:
        body = {"model": MODEL, "messages": MESSAGES, "stream": True}
        response = await self.session.post(f"{self.gateway_url}/v1/chat/completions", json=body)
        if response.status != 200:
            raise AssertionError(f"gateway answered {response.status}: {await response.text()}")
        return self._release_after(response, _raw_pieces(response))

    async def via_provider(self) -> AsyncIterator[str]:
        return self.provider.create_async_generator(
            MODEL, MESSAGES, session=self.provider_session, base_url=self.url
        )

    async def via_client(self) -> AsyncIterator[str]:
        stream = await self.client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True
        )
        return _contents(stream)

    @staticmethod
    async def _release_after(
        response: aiohttp.ClientResponse, pieces: AsyncIterator[str]
    ) -> AsyncIterator[str]:
        try:
            async for piece in pieces:
                yield piece
        finally:
            response.release()


async def _contents(stream: Any) -> AsyncIterator[str]:
    async for chunk in stream:
        content = chunk.choices[0].delta.content
        if content:
            yield content


async def _run(url: str, gateway_url: str | None, repeats: int, warmup: int) -> dict[str, Any]:
    async with _Variants(url, gateway_url) as variants:
        table = variants.table()
        names = list(table)
        firsts: dict[str, list[float]] = {name: [] for name in names}
        totals: dict[str, list[float]] = {name: [] for name in names}
        await variants.warm_gateway(warmup)
        for name in names:  # warm-up: open every pool
            await _time_stream(table[name][1])
        for index in range(repeats):
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                first, total = await _time_stream(table[name][1])
                firsts[name].append(first)
                totals[name].append(total)
    floor_first = median(firsts["floor"])
    floor_total = median(totals["floor"])
    return {
        name: {
            "label": table[name][0],
            "streams": len(firsts[name]),
            "first_piece_ms": round(median(firsts[name]) * 1000, 3),
            "first_piece_added_ms": round((median(firsts[name]) - floor_first) * 1000, 3),
            "total_ms": round(median(totals[name]) * 1000, 2),
            "total_added_ms": round((median(totals[name]) - floor_total) * 1000, 3),
        }
        for name in names
    }


def run_streaming(
    url: str, gateway_url: str | None, repeats: int, warmup: int = 50
) -> dict[str, Any]:
    """Time ``repeats`` paced streams per variant against the upstream at ``url``.

    The gateway first answers ``warmup`` plain chats: a fresh process is slow on its first
    requests, and the upstream it is compared with is warm.
    """
    return asyncio.run(_run(url, gateway_url, repeats, warmup))
