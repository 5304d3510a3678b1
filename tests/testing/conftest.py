"""Fixtures of the emulator's own tests: an emulator started and closed within bounds, and a
plain aiohttp session."""

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from aiodynaspark.testing import Emulator
from support.emulator_http import TIMEOUT


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    emulator = Emulator()
    async with asyncio.timeout(TIMEOUT):
        await emulator.start()
    try:
        yield emulator
    finally:
        async with asyncio.timeout(TIMEOUT):
            await emulator.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT))
    try:
        yield client
    finally:
        await client.close()
