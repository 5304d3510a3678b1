"""Retries that respect the server: the fault matrix over real sockets."""

import asyncio
import logging
import time
from email.utils import formatdate

import pytest

from aiodynaspark import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncClient,
    AuthenticationError,
    CloudflareError,
    Dynaspark,
    DynasparkError,
    RateLimitError,
    ServiceUnavailableError,
)
from aiodynaspark._wire._retry import RetryPolicy
from aiodynaspark.testing import Emulator, Fault, answer_for

USER = [{"role": "user", "content": "ping"}]
ANSWER = answer_for("gemini-1.5-flash", "ping")


def client(emu: Emulator, **kwargs: object) -> AsyncClient:
    options: dict[str, object] = {"max_retries": 2, "backoff_base": 0.01, "provider": Dynaspark}
    options.update(kwargs)
    return AsyncClient(base_url=emu.url, **options)  # type: ignore[arg-type]


async def chat(c: AsyncClient) -> str | None:
    async with asyncio.timeout(15):
        done = await c.chat.completions.create(messages=USER)
    return done.choices[0].message.content


RETRYABLE = [
    ("429 with Retry-After", lambda: Fault.rate_limited(retry_after=0), RateLimitError),
    ("429 without Retry-After", lambda: Fault.rate_limited(retry_after=None), RateLimitError),
    ("408", lambda: Fault.status(408), APIStatusError),
    ("500", lambda: Fault.status(500), APIStatusError),
    ("502", lambda: Fault.status(502), ServiceUnavailableError),
    ("503 waking page", Fault.waking, ServiceUnavailableError),
    ("504", lambda: Fault.status(504), ServiceUnavailableError),
    ("dropped connection", Fault.drop, APIConnectionError),
    ("timeout", lambda: Fault.hang(5), APITimeoutError),
]
FINAL = [
    ("Cloudflare 403", Fault.cloudflare, CloudflareError),
    ("400", lambda: Fault.status(400, "bad input"), APIStatusError),
    ("401", lambda: Fault.status(401, "bad key"), AuthenticationError),
]


@pytest.mark.parametrize(("name", "fault", "kind"), RETRYABLE, ids=[r[0] for r in RETRYABLE])
async def test_retryable_fault_recovers_on_the_next_attempt(
    emu: Emulator, name: str, fault: object, kind: type[DynasparkError]
) -> None:
    emu.push(fault())  # type: ignore[operator]
    async with client(emu, timeout=0.5) as c:
        assert await chat(c) == ANSWER
    assert len(emu.requests) == 2


@pytest.mark.parametrize(("name", "fault", "kind"), RETRYABLE, ids=[r[0] for r in RETRYABLE])
async def test_retryable_fault_raises_after_exactly_the_budget(
    emu: Emulator, name: str, fault: object, kind: type[DynasparkError]
) -> None:
    emu.push(fault(), fault(), fault(), fault())  # type: ignore[operator]
    async with client(emu, timeout=0.5) as c:
        with pytest.raises(kind) as caught:
            await chat(c)
    assert type(caught.value) is kind
    assert len(emu.requests) == 3
    if kind is APITimeoutError:
        assert "0.5 s" in str(caught.value)


@pytest.mark.parametrize(("name", "fault", "kind"), FINAL, ids=[r[0] for r in FINAL])
async def test_final_fault_is_raised_after_one_attempt(
    emu: Emulator, name: str, fault: object, kind: type[DynasparkError]
) -> None:
    emu.push(fault())  # type: ignore[operator]
    async with client(emu) as c:
        with pytest.raises(kind):
            await chat(c)
    assert len(emu.requests) == 1


async def test_zero_retries_means_one_attempt(emu: Emulator) -> None:
    emu.push(Fault.status(503))
    async with client(emu, max_retries=0) as c:
        with pytest.raises(ServiceUnavailableError):
            await chat(c)
    assert len(emu.requests) == 1


async def test_retry_after_seconds_is_obeyed(emu: Emulator) -> None:
    emu.push(Fault.rate_limited(retry_after=1))
    async with client(emu) as c:
        assert await chat(c) == ANSWER
    assert emu.requests[1].at - emu.requests[0].at >= 0.95


async def test_ratelimit_reset_header_is_obeyed(emu: Emulator) -> None:
    emu.push(Fault.rate_limited(retry_after=None, reset_in=1.0))
    async with client(emu) as c:
        assert await chat(c) == ANSWER
    assert emu.requests[1].at - emu.requests[0].at >= 0.5


async def test_a_wait_longer_than_the_maximum_is_raised_at_once(emu: Emulator) -> None:
    emu.push(Fault.rate_limited(retry_after=3600))
    async with client(emu, max_retry_wait=30) as c:
        # chat() gives up after 15 s: a client that slept through the wait would fail here.
        with pytest.raises(RateLimitError, match="longer than max_retry_wait") as caught:
            await chat(c)
    assert caught.value.retry_after == 3600
    assert len(emu.requests) == 1


async def test_each_retry_logs_one_warning_with_reason_and_wait(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="aiodynaspark")
    emu.push(Fault.status(503), Fault.status(500))
    async with client(emu) as c:
        await chat(c)
    retries = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(retries) == 2
    assert "ServiceUnavailableError" in retries[0] and "APIStatusError" in retries[1]


async def test_emulator_rate_limit_budget_gives_429_with_headers() -> None:
    async with Emulator(rate_limit=2) as emu, client(emu, max_retries=0) as c:
        await chat(c)
        await chat(c)
        with pytest.raises(RateLimitError) as caught:
            await chat(c)
    assert caught.value.headers["x-ratelimit-remaining"] == "0"
    assert caught.value.retry_after is not None


async def test_slow_start_within_the_timeout_succeeds() -> None:
    async with Emulator(cold_start=0.3) as emu, client(emu, timeout=3) as c:
        assert await chat(c) == ANSWER
    assert len(emu.requests) == 1


# Each test below once let a mutation of the policy pass (docs/testing.md, "Mutation testing").
def test_retry_after_as_an_http_date_sets_the_wait() -> None:
    before = time.time()
    when = formatdate(before + 30, usegmt=True)  # whole seconds: up to 1 s earlier
    error = ServiceUnavailableError("down", status_code=503, headers={"retry-after": when})
    wait = RetryPolicy(max_wait=60).wait_before_retry(0, error)
    after = time.time()
    # The date less the clock when it was read, whatever time passed in between.
    assert before + 29 - after <= wait <= 30


def test_retry_after_on_a_503_sets_the_wait() -> None:
    error = ServiceUnavailableError("down", status_code=503, headers={"retry-after": "3"})
    assert RetryPolicy(base=0.001).wait_before_retry(0, error) == 3.0


def test_a_wait_of_exactly_the_maximum_is_slept_through() -> None:
    error = ServiceUnavailableError("down", status_code=503, headers={"retry-after": "3"})
    assert RetryPolicy(max_wait=3).wait_before_retry(0, error) == 3.0


def test_backoff_jitter_reaches_down_to_zero() -> None:
    policy = RetryPolicy(base=1.0, cap=100.0)
    error = APIStatusError("boom", status_code=500)
    waits = [policy.wait_before_retry(0, error) for _ in range(400)]
    assert min(waits) < 0.1  # 400 uniform draws from [0, 1) reach its bottom tenth


def test_backoff_ceiling_doubles_each_retry() -> None:
    policy = RetryPolicy(base=1.0, cap=100.0)
    error = APIStatusError("boom", status_code=500)
    for retry in range(4):
        waits = [policy.wait_before_retry(retry, error) for _ in range(400)]
        assert max(waits) <= 2**retry
        assert max(waits) > 0.9 * 2**retry  # 400 uniform draws reach the ceiling's top tenth
