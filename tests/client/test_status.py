"""``client.status()``: one GET of the host's health page, no retry, its own time limit."""

import asyncio

import pytest

from aiodynaspark import (
    APIConnectionError,
    AsyncClient,
    Client,
    InvalidRequestError,
    ServiceUnavailableError,
)
from aiodynaspark.client import ServiceStatus
from aiodynaspark.testing import Emulator
from aiodynaspark.types import AttemptOutcome
from support.ports import free_port
from support.raw_server import RawServer

WAKING = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


async def test_status_is_one_get_of_the_health_page(emu: Emulator) -> None:
    async with AsyncClient(base_url=emu.url) as client:
        up = await asyncio.wait_for(client.status(), 10)
    assert isinstance(up, ServiceStatus)
    assert up.status_code == 200 and up.elapsed > 0
    assert [(r.method, r.path) for r in emu.requests] == [("GET", "/status")]


async def test_a_waking_host_raises_at_once_without_a_retry() -> None:
    async with RawServer(WAKING) as host, AsyncClient(base_url=host.url, max_retries=3) as client:
        with pytest.raises(ServiceUnavailableError):
            await asyncio.wait_for(client.status(), 10)
    assert host.targets == ["/status"]


async def test_an_unreachable_host_raises_a_connection_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with AsyncClient(base_url=url, max_retries=0) as client:
        with pytest.raises(APIConnectionError):
            await asyncio.wait_for(client.status(time_limit=2), 10)


async def test_a_check_is_not_told_to_the_attempt_observer(emu: Emulator) -> None:
    told: list[AttemptOutcome] = []
    async with AsyncClient(
        base_url=emu.url, attempt_observer=lambda outcome, headers: told.append(outcome)
    ) as client:
        await asyncio.wait_for(client.status(), 10)
    assert told == []


@pytest.mark.parametrize("time_limit", [0, -1, float("nan")])
async def test_a_time_limit_that_is_not_positive_is_refused(
    emu: Emulator, time_limit: float
) -> None:
    async with AsyncClient(base_url=emu.url) as client:
        with pytest.raises(InvalidRequestError, match="time_limit"):
            await asyncio.wait_for(client.status(time_limit=time_limit), 10)
    assert emu.requests == []


async def test_a_closed_client_refuses_a_check(emu: Emulator) -> None:
    client = AsyncClient(base_url=emu.url)
    await client.close()
    with pytest.raises(RuntimeError, match="has been closed"):
        await asyncio.wait_for(client.status(), 10)
    assert emu.requests == []


def test_the_sync_client_checks_the_host_too() -> None:
    with Emulator.run_in_thread("127.0.0.1", 0) as emu, Client(base_url=emu.url) as client:
        up = client.status()
    assert up.status_code == 200
    assert [r.path for r in emu.requests] == ["/status"]
