"""The clients compared in the chat scenarios, each sending the same one-prompt chat.

Every variant verifies the answer text, so a variant that skipped work would fail, not win.
"""

import json
from typing import Any, ClassVar

import aiohttp

from ._common import MESSAGES, MODEL, PROMPT, WEB_ANSWER

__all__ = ["ASYNC_VARIANTS", "BROWSER_HEADERS", "SYNC_VARIANTS", "AsyncVariant", "SyncVariant"]

# What the site's own page sends, as the library does; the floor
# and the original pattern send the same headers, so every variant sends the same request.
BROWSER_HEADERS = {
    "accept": "*/*",
    "accept-language": "en-US,en;q=0.9",
    "x-requested-with": "XMLHttpRequest",
    "user-agent": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
    ),
}
_BOUNDARY = "aiodynasparkbenchmarkboundary"


def _check(text: object) -> None:
    if text != WEB_ANSWER:
        raise AssertionError(f"unexpected answer {text!r}")


def hand_built_form(prompt: str, model: str) -> bytes:
    """The multipart body the web form takes, built by hand (the floor's form)."""
    return (
        f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="user_input"\r\n\r\n{prompt}\r\n'
        f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="ai_model"\r\n\r\n{model}\r\n'
        f"--{_BOUNDARY}--\r\n"
    ).encode()


class AsyncVariant:
    """One way to send the chat from async code: ``open``, then ``send`` many times, ``close``."""

    name: ClassVar[str]
    label: ClassVar[str]

    def __init__(self, url: str, openai_url: str) -> None:
        self.url = url
        self.openai_url = openai_url

    async def open(self) -> None:
        pass

    async def send(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        pass


class Floor(AsyncVariant):
    name = "floor"
    label = "floor: raw aiohttp, shared session, hand-built form"

    async def open(self) -> None:
        self.session = aiohttp.ClientSession()
        self.endpoint = self.url + "/generate_response"
        origin = {"origin": self.url, "referer": self.url + "/"}
        self.headers = {
            **BROWSER_HEADERS,
            **origin,
            "content-type": f"multipart/form-data; boundary={_BOUNDARY}",
        }

    async def send(self) -> None:
        body = hand_built_form(PROMPT, MODEL)
        async with self.session.post(self.endpoint, data=body, headers=self.headers) as response:
            if response.status != 200:
                raise AssertionError(f"HTTP {response.status}")
            _check(json.loads(await response.read())["response"])

    async def close(self) -> None:
        await self.session.close()


class Original(AsyncVariant):
    name = "original"
    label = "original module's pattern: a new ClientSession per request"

    async def send(self) -> None:
        # As the original provider: session per call, FormData, text() then json.loads.
        headers = {**BROWSER_HEADERS, "origin": self.url, "referer": self.url + "/"}
        async with aiohttp.ClientSession(headers=headers) as session:
            form = aiohttp.FormData()
            form.add_field("user_input", PROMPT)
            form.add_field("ai_model", MODEL)
            async with session.post(self.url + "/generate_response", data=form) as response:
                response.raise_for_status()
                _check(json.loads(await response.text())["response"])


class Provider(AsyncVariant):
    name = "provider"
    label = "Dynaspark.create_async_generator, shared session"

    async def open(self) -> None:
        from aiodynaspark import Dynaspark

        self.provider = Dynaspark
        self.session = aiohttp.ClientSession()

    async def send(self) -> None:
        pieces = [
            piece
            async for piece in self.provider.create_async_generator(
                MODEL, MESSAGES, session=self.session, base_url=self.url
            )
        ]
        _check("".join(pieces))

    async def close(self) -> None:
        await self.session.close()


class Async(AsyncVariant):
    name = "async_client"
    label = "AsyncClient"

    async def open(self) -> None:
        from aiodynaspark import AsyncClient

        self.client = AsyncClient(base_url=self.url)

    async def send(self) -> None:
        completion = await self.client.chat.completions.create(model=MODEL, messages=MESSAGES)
        _check(completion.choices[0].message.content)

    async def close(self) -> None:
        await self.client.close()


class OpenAISDK(AsyncVariant):
    name = "openai_sdk"
    label = "openai SDK (AsyncOpenAI), OpenAI-shaped local endpoint"

    async def open(self) -> None:
        import openai

        self.client = openai.AsyncOpenAI(base_url=self.openai_url + "/v1", api_key="benchmark")

    async def send(self) -> None:
        completion = await self.client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,  # type: ignore[arg-type]
        )
        _check(completion.choices[0].message.content)

    async def close(self) -> None:
        await self.client.close()


class SyncVariant:
    """The synchronous ``Client``: ``send`` is called from plain threads."""

    name = "client"
    label = "Client (sync)"

    def __init__(self, url: str, openai_url: str) -> None:
        self.url = url

    def open(self) -> None:
        from aiodynaspark import Client

        self.client: Any = Client(base_url=self.url)

    def send(self) -> None:
        completion = self.client.chat.completions.create(model=MODEL, messages=MESSAGES)
        _check(completion.choices[0].message.content)

    def close(self) -> None:
        self.client.close()


ASYNC_VARIANTS: list[type[AsyncVariant]] = [Floor, Original, Provider, Async, OpenAISDK]
SYNC_VARIANTS: list[type[SyncVariant]] = [SyncVariant]
