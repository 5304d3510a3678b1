"""A total deadline across retries, and timeout messages that say what really happened.

The upstream is the emulator made silent (``latency`` far above every timeout here), so each
test ends when the library's own limits say. What is checked is which limit ended the call and
how many attempts it made, never how long the call took (a loaded machine stretches that).
"""

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from aiodynaspark import (
    APITimeoutError,
    AsyncClient,
    Client,
    Dynaspark,
    InvalidRequestError,
    ServiceUnavailableError,
)
from aiodynaspark._config import resolve_settings
from aiodynaspark.testing import Emulator, Fault

USER = [{"role": "user", "content": "ping"}]
# Longer than any test here may take: the upstream never answers in time.
SILENCE = 60.0


@pytest.fixture
async def silent() -> AsyncIterator[Emulator]:
    async with Emulator(latency=SILENCE) as emu:
        yield emu


async def _timed_failure(client: AsyncClient) -> tuple[APITimeoutError, float]:
    started = time.monotonic()
    async with client, asyncio.timeout(20):
        with pytest.raises(APITimeoutError) as caught:
            await client.chat.completions.create(messages=USER, provider=Dynaspark)
    return caught.value, time.monotonic() - started


async def test_deadline_ends_the_call_across_retries(silent: Emulator) -> None:
    client = AsyncClient(
        base_url=silent.url, timeout=0.4, max_retries=20, backoff_base=0.01, deadline=1.0
    )
    error, _ = await _timed_failure(client)
    assert error.limit == "deadline"
    # Attempts of 0.4 s each: at most three fit in the 1 s deadline, not the 21 allowed.
    assert error.attempts is not None and 2 <= error.attempts <= 3
    assert len(silent.requests) == error.attempts


async def test_deadline_error_reports_elapsed_time_attempts_and_the_keyword(
    silent: Emulator,
) -> None:
    client = AsyncClient(
        base_url=silent.url, timeout=0.4, max_retries=20, backoff_base=0.01, deadline=1.0
    )
    error, took = await _timed_failure(client)
    assert error.elapsed is not None and 1.0 <= error.elapsed <= took
    message = str(error)
    assert "within the deadline of 1 s" in message
    assert f"{error.attempts} attempts, {error.elapsed:.1f} s in all" in message
    assert "deadline= (or DYNASPARK_DEADLINE)" in message


async def test_timeout_error_reports_real_elapsed_time_and_attempts(silent: Emulator) -> None:
    client = AsyncClient(base_url=silent.url, timeout=0.3, max_retries=1, backoff_base=0.01)
    error, took = await _timed_failure(client)
    assert error.limit == "timeout" and error.attempts == 2
    assert error.elapsed is not None and 0.6 <= error.elapsed <= took
    message = str(error)
    assert "within 0.3 s per attempt (2 attempts, " in message
    assert f"{error.elapsed:.1f} s in all" in message
    assert "timeout= (or DYNASPARK_TIMEOUT)" in message


async def test_no_backoff_sleep_goes_past_the_deadline(emu: Emulator) -> None:
    # The host asks for 30 s; sleeping through that would pass the 1 s deadline.
    emu.push(Fault.status(503, headers={"Retry-After": "30"}))
    client = AsyncClient(base_url=emu.url, max_retries=3, deadline=1.0)
    # Shorter than the 30 s asked: a call that slept through it would fail here.
    async with client, asyncio.timeout(20):
        with pytest.raises(ServiceUnavailableError, match="Not retried: the deadline of 1 s"):
            await client.chat.completions.create(messages=USER, provider=Dynaspark)
    assert len(emu.requests) == 1


async def test_deadline_comes_from_the_environment(
    silent: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DYNASPARK_DEADLINE", "0.8")
    client = AsyncClient(base_url=silent.url, timeout=5, max_retries=3)
    error, _ = await _timed_failure(client)
    assert error.limit == "deadline" and error.seconds == 0.8
    # One attempt of its 5 s timeout would outlast the deadline: the deadline cut it.
    assert error.attempts == 1 and len(silent.requests) == 1


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan"])
def test_a_malformed_deadline_variable_is_refused_by_name(value: str) -> None:
    with pytest.raises(InvalidRequestError, match="DYNASPARK_DEADLINE"):
        resolve_settings(environ={"DYNASPARK_DEADLINE": value})


def test_the_deadline_keyword_beats_the_variable() -> None:
    settings = resolve_settings(deadline=3, environ={"DYNASPARK_DEADLINE": "9"})
    assert settings.deadline == 3.0


async def test_a_provider_call_takes_a_deadline(silent: Emulator) -> None:
    with pytest.raises(APITimeoutError, match="deadline of 0.8 s"):
        async with asyncio.timeout(20):
            async for _ in Dynaspark.create_async_generator(
                "gemini-1.5-flash",
                USER,
                base_url=silent.url,
                timeout=5,
                max_retries=3,
                deadline=0.8,
            ):
                pass
    assert len(silent.requests) == 1


def test_the_sync_client_takes_a_deadline() -> None:
    with Emulator.run_in_thread(host="127.0.0.1", port=0, latency=SILENCE) as silent:
        with (
            Client(base_url=silent.url, timeout=5, max_retries=3, deadline=0.8) as client,
            pytest.raises(APITimeoutError, match="deadline of 0.8 s"),
        ):
            client.chat.completions.create(messages=USER, provider=Dynaspark)
        assert len(silent.requests) == 1
