"""Shared fixtures: a real emulator on 127.0.0.1 and small real images."""

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from aiodynaspark.testing import Emulator


@pytest.fixture
async def emu() -> AsyncIterator["Emulator"]:
    from aiodynaspark.testing import Emulator

    async with Emulator() as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The tests set their own configuration; the machine's must not leak in.
    for name in (
        "DYNASPARK_BASE_URL",
        "DYNASPARK_API_KEY",
        "DYNASPARK_TIMEOUT",
        "DYNASPARK_MAX_RETRIES",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
