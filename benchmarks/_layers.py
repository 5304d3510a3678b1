"""Where the library's time goes: the same chat, peeled layer by layer, against the floor.

``python -m benchmarks._layers [--concurrency 100] [--rounds 20]`` prints the client CPU
microseconds per request of each layer (median and best of the rounds, layers in turns):

* ``floor``: raw aiohttp, hand-built form (as scenario 1);
* ``transport``: the same request through ``Transport.send`` (retries, timeout, errors);
* ``provider``: ``Dynaspark.complete`` on a prepared chat (form, headers, answer check);
* ``provider_full``: ``Dynaspark.create_async_generator`` (settings, checking, transport);
* ``client_send``: the chat engine's fallback loop on a prepared chat (usage filled in);
* ``client_model``: that, plus the ``ChatCompletion`` response model;
* ``client_full``: ``chat.completions.create`` (plus checking and reading the messages).

The difference between two neighbours is what that layer costs.
"""

import argparse
import asyncio
import time
from typing import Any

from ._clients import Floor, hand_built_form
from ._common import MESSAGES, MODEL, PROMPT, WEB_ANSWER, median, start_child


class _Layer(Floor):
    async def open(self) -> None:
        await super().open()
        from aiodynaspark import AsyncClient, Dynaspark
        from aiodynaspark._config import resolve_settings
        from aiodynaspark._wire._http import Request, Transport
        from aiodynaspark._wire._response_body import json_object
        from aiodynaspark.client._models import plain_completion

        # Imported here, not at each send: an import statement costs thousands of
        # instructions even when the module is loaded, which would be charged to a layer.
        self.request_type, self.read, self.completion = Request, json_object, plain_completion
        self.transport = Transport(resolve_settings(base_url=self.url), session=self.session)
        self.provider = Dynaspark
        self.chat = Dynaspark.prepare_chat(MODEL, MESSAGES, None, {})
        self.client = AsyncClient(base_url=self.url)
        self.completions = self.client.chat.completions
        self.engine = self.client._engine
        self.prepared = self.engine.prepare(MODEL, MESSAGES, None, None, False, {})

    async def close(self) -> None:
        await self.client.close()
        await super().close()


class Transport(_Layer):
    name = "transport"

    async def send(self) -> None:
        request = self.request_type(
            "POST", self.endpoint, hand_built_form(PROMPT, MODEL), self.headers
        )
        data = await self.transport.send(request, self.read)
        assert data["response"] == WEB_ANSWER


class Provider(_Layer):
    name = "provider"

    async def send(self) -> None:
        result = await self.provider.complete(self.transport, self.chat)
        assert result.text == WEB_ANSWER


class ProviderFull(_Layer):
    name = "provider_full"

    async def send(self) -> None:
        pieces = [
            piece
            async for piece in self.provider.create_async_generator(
                MODEL, MESSAGES, session=self.session, base_url=self.url
            )
        ]
        assert "".join(pieces) == WEB_ANSWER


class ClientSend(_Layer):
    name = "client_send"

    async def send(self) -> None:
        answer = await self.engine.answer(self.prepared, MESSAGES)
        assert answer.result.text == WEB_ANSWER


class ClientModel(_Layer):
    name = "client_model"

    async def send(self) -> None:
        answer = await self.engine.answer(self.prepared, MESSAGES)
        result = answer.result
        assert result.usage is not None
        completion = self.completion(result.model, result.text, result.usage, answer.provider)
        assert completion.choices[0].message.content == WEB_ANSWER


class ClientFull(_Layer):
    name = "client_full"

    async def send(self) -> None:
        completion = await self.completions.create(model=MODEL, messages=MESSAGES)
        assert completion.choices[0].message.content == WEB_ANSWER


LAYERS: list[type[Floor]] = [
    Floor,
    Transport,
    Provider,
    ProviderFull,
    ClientSend,
    ClientModel,
    ClientFull,
]


async def _measure(url: str, concurrency: int, rounds: int, per_round: int) -> dict[str, Any]:
    variants = [layer(url, url) for layer in LAYERS]
    cpu: dict[str, list[float]] = {v.name: [] for v in variants}

    async def batch(variant: Floor, count: int) -> None:
        async def worker() -> None:
            for _ in range(count // concurrency):
                await variant.send()

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    for variant in variants:
        await variant.open()
        await batch(variant, max(per_round // 2, concurrency))
    for index in range(rounds):
        shift = index % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            started = time.process_time()
            await batch(variant, per_round)
            cpu[variant.name].append((time.process_time() - started) / per_round * 1e6)
    for variant in variants:
        await variant.close()
    return {name: {"median_us": median(v), "best_us": min(v)} for name, v in cpu.items()}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._layers")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    per_round = 200 if args.concurrency == 1 else 1000
    with start_child(["-m", "benchmarks._upstream", "minimal"]) as upstream:
        url = upstream.ready["urls"][0]
        result = asyncio.run(_measure(url, args.concurrency, args.rounds, per_round))
    previous = None
    print(f"client CPU per request, concurrency {args.concurrency}, {args.rounds} rounds")
    print(f"{'layer':14s} {'median us':>10s} {'best us':>8s} {'layer adds':>11s}")
    for name, figures in result.items():
        added = "" if previous is None else f"{figures['best_us'] - previous:+.1f}"
        print(f"{name:14s} {figures['median_us']:10.1f} {figures['best_us']:8.1f} {added:>11s}")
        previous = figures["best_us"]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
