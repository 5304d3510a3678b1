"""Fixtures for the gateway tests: the emulator, the gateway under a real uvicorn, the openai SDK.

The gateway runs as an asyncio task on the test's own loop (uvicorn.Server.serve), bound to
127.0.0.1 port 0; its port is read from the bound socket. The official openai SDK is the
client, so what the tests check is what OpenAI tools see.
"""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import openai
import pytest

from aiodynaspark.server import create_app
from aiodynaspark.testing import Emulator
from support.gateway import GatewayFactory, run_gateway, sdk


@pytest.fixture(autouse=True)
def _no_gateway_key(monkeypatch: pytest.MonkeyPatch) -> None:
    # The gateway reads its key from the environment; the machine's must not leak in.
    monkeypatch.delenv("AIODYNASPARK_API_KEY", raising=False)


@pytest.fixture
def start_gateway(emu: Emulator) -> GatewayFactory:
    """Start a gateway in front of the emulator with the given create_app options.

    Upstream retries are off and the timeout short unless the test says otherwise, so each
    injected fault reaches the caller as it is.
    """

    def start(**options: Any) -> AbstractAsyncContextManager[str]:
        if "client" not in options:
            options.setdefault("base_url", emu.url)
            options.setdefault("max_retries", 0)
            options.setdefault("timeout", 5.0)
        return run_gateway(create_app(**options))

    return start


@pytest.fixture
async def gateway(start_gateway: GatewayFactory) -> AsyncIterator[str]:
    """A gateway with default options (no API key), upstream retries off."""
    async with start_gateway() as url:
        yield url


@pytest.fixture
async def client(gateway: str) -> AsyncIterator[openai.AsyncOpenAI]:
    """The openai SDK in front of the default gateway."""
    async with sdk(gateway) as sdk_client:
        yield sdk_client
