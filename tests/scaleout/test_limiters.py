"""The limiters: exact counts, all-or-nothing decisions, the host's word, Redis failures."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiodynaspark.server.ops._limiter import Limit, LocalLimiter
from aiodynaspark.server.ops._rates import Rate, format_reset, parse_rate
from aiodynaspark.server.ops._redis import open_redis
from aiodynaspark.server.ops._redis_limiter import REDIS_RETRY_AFTER, RedisLimiter
from support.redis_server import RedisServer

TIMEOUT = 10.0
PER_MINUTE_10 = Rate(10, 60.0)


async def tell(limiter: LocalLimiter | RedisLimiter, left: int, reset_at: float) -> None:
    """Give ``limiter`` the host's word, and wait until it is shared (through Redis)."""
    if (sharing := limiter.tighten(left, reset_at)) is not None:
        await sharing


@asynccontextmanager
async def shared_limiter(url: str, **options: object) -> AsyncIterator[RedisLimiter]:
    redis = open_redis(url)
    try:
        yield RedisLimiter(redis, **options)  # type: ignore[arg-type]
    finally:
        await redis.aclose()


@asynccontextmanager
async def limiter_for(redis_url: str, shared: bool) -> AsyncIterator[LocalLimiter | RedisLimiter]:
    """The limiter through Redis, or a local one."""
    if not shared:
        yield LocalLimiter()
        return
    async with shared_limiter(redis_url) as limiter:
        yield limiter


@given(st.integers(1, 1_000_000), st.sampled_from(["second", "minute", "hour"]))
def test_a_written_rate_reads_back_as_itself(count: int, unit: str) -> None:
    rate = parse_rate(f"{count}/{unit}")
    assert parse_rate(str(rate)) == rate
    assert rate.count == count


@pytest.mark.parametrize("text", ["", "10", "0/minute", "10/day", "ten/minute", "-1/hour"])
def test_a_malformed_rate_is_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match="N/second, N/minute or N/hour|1 to"):
        parse_rate(text)


def test_reset_times_are_written_as_openai_writes_them() -> None:
    assert [format_reset(s) for s in (0.25, 1, 59.5, 60, 360, 3723)] == [
        "0.25s",
        "1s",
        "59.5s",
        "1m0s",
        "6m0s",
        "1h2m3s",
    ]


async def test_local_limiter_allows_exactly_the_count_in_a_window() -> None:
    now = [100.0]
    limiter = LocalLimiter(clock=lambda: now[0])
    limit = Limit("key:a", PER_MINUTE_10)
    verdicts = [await limiter.take([limit], upstream=False) for _ in range(12)]
    assert [v.allowed for v in verdicts] == [True] * 10 + [False] * 2
    assert verdicts[9].decisions[0].remaining == 0
    assert verdicts[10].retry_after == pytest.approx(60.0)
    now[0] += 60.0
    assert (await limiter.take([limit], upstream=False)).allowed


async def test_a_request_refused_by_its_key_spends_no_upstream_quota() -> None:
    limiter = LocalLimiter()
    key, upstream = Limit("key:a", Rate(1, 60)), Limit("upstream", Rate(2, 60))
    assert (await limiter.take([key, upstream], upstream=True)).allowed
    refused = await limiter.take([key, upstream], upstream=True)
    assert refused.refused_by == "key:a"
    other = Limit("key:b", Rate(5, 60))
    assert (await limiter.take([other, upstream], upstream=True)).allowed
    assert (await limiter.take([other, upstream], upstream=True)).refused_by == "upstream"


async def test_shared_limit_holds_exactly_across_processes_under_concurrency(
    redis_url: str,
) -> None:
    limit = Limit("upstream", PER_MINUTE_10)
    async with shared_limiter(redis_url) as one, shared_limiter(redis_url) as two:
        async with asyncio.timeout(TIMEOUT):
            verdicts = await asyncio.gather(
                *(limiter.take([limit], upstream=True) for limiter in (one, two) * 25)
            )
    assert sum(v.allowed for v in verdicts) == 10
    refused = [v for v in verdicts if not v.allowed]
    assert all(50 < v.retry_after <= 60 for v in refused)
    assert sorted(v.decisions[0].remaining for v in verdicts if v.allowed) == list(range(10))


async def test_shared_decision_is_all_or_nothing(redis_url: str) -> None:
    key, upstream = Limit("key:a", Rate(1, 60)), Limit("upstream", Rate(2, 60))
    async with shared_limiter(redis_url) as limiter, asyncio.timeout(TIMEOUT):
        assert (await limiter.take([key, upstream], upstream=True)).allowed
        assert (await limiter.take([key, upstream], upstream=True)).refused_by == "key:a"
        other = Limit("key:b", Rate(5, 60))
        assert (await limiter.take([other, upstream], upstream=True)).allowed
        assert (await limiter.take([other, upstream], upstream=True)).refused_by == "upstream"


@pytest.mark.parametrize("shared", [False, True], ids=["local", "redis"])
async def test_the_hosts_word_that_nothing_is_left_refuses_until_its_reset(
    redis_url: str, shared: bool
) -> None:
    async with limiter_for(redis_url, shared) as limiter, asyncio.timeout(TIMEOUT):
        upstream = Limit("upstream", Rate(100, 3600))
        await tell(limiter, 1, time.time() + 30)
        assert (await limiter.take([upstream], upstream=True)).allowed
        refused = await limiter.take([upstream], upstream=True)
        assert refused.refused_by == "host"
        assert 25 < refused.retry_after <= 30
        # Requests that do not call the host are not held by its quota.
        assert (await limiter.take([Limit("key:a", Rate(5, 60))], upstream=False)).allowed


@pytest.mark.parametrize("shared", [False, True], ids=["local", "redis"])
async def test_giving_back_frees_exactly_what_the_request_took(
    redis_url: str, shared: bool
) -> None:
    async with limiter_for(redis_url, shared) as limiter, asyncio.timeout(TIMEOUT):
        key, upstream = Limit("key:a", Rate(1, 60)), Limit("upstream", Rate(2, 60))
        await tell(limiter, 1, time.time() + 30)
        first = await limiter.take([key, upstream], upstream=True)
        assert first.taken is not None
        assert (await limiter.take([key, upstream], upstream=True)).refused_by == "key:a"
        await limiter.give_back(first.taken)
        # The key's slot, the upstream slot and the host's last request are back, once.
        assert (await limiter.take([key, upstream], upstream=True)).allowed
        other = Limit("key:b", Rate(5, 60))
        assert (await limiter.take([other, upstream], upstream=True)).refused_by == "host"


@pytest.mark.parametrize("shared", [False, True], ids=["local", "redis"])
async def test_a_request_that_does_not_call_the_host_spends_none_of_its_quota(
    redis_url: str, shared: bool
) -> None:
    async with limiter_for(redis_url, shared) as limiter, asyncio.timeout(TIMEOUT):
        upstream = Limit("upstream", Rate(100, 3600))
        await tell(limiter, 2, time.time() + 30)
        assert (await limiter.take([Limit("key:a", Rate(5, 60))], upstream=False)).allowed
        verdicts = [await limiter.take([upstream], upstream=True) for _ in range(3)]
    assert [v.refused_by for v in verdicts] == [None, None, "host"]


@pytest.mark.parametrize("shared", [False, True], ids=["local", "redis"])
async def test_giving_back_raises_what_the_host_has_left_by_one(
    redis_url: str, shared: bool
) -> None:
    async with limiter_for(redis_url, shared) as limiter, asyncio.timeout(TIMEOUT):
        upstream = Limit("upstream", Rate(100, 3600))
        await tell(limiter, 2, time.time() + 30)
        first = await limiter.take([upstream], upstream=True)
        assert first.taken is not None
        await limiter.give_back(first.taken)
        verdicts = [await limiter.take([upstream], upstream=True) for _ in range(3)]
    assert [v.refused_by for v in verdicts] == [None, None, "host"]


@pytest.mark.parametrize("shared", [False, True], ids=["local", "redis"])
async def test_giving_back_a_request_taken_before_the_hosts_word_leaves_that_word_as_it_is(
    redis_url: str, shared: bool
) -> None:
    async with limiter_for(redis_url, shared) as limiter, asyncio.timeout(TIMEOUT):
        upstream = Limit("upstream", Rate(100, 3600))
        early = await limiter.take([upstream], upstream=True)
        assert early.taken is not None
        # The host's count, heard after, already holds the early request: it did not lower it.
        await tell(limiter, 1, time.time() + 30)
        await limiter.give_back(early.taken)
        verdicts = [await limiter.take([upstream], upstream=True) for _ in range(2)]
    assert [v.refused_by for v in verdicts] == [None, "host"]


async def test_giving_back_after_the_hosts_window_passed_leaves_its_quota_unknown() -> None:
    wall = [1000.0]
    limiter = LocalLimiter(wall_clock=lambda: wall[0])
    upstream = Limit("upstream", Rate(100, 3600))
    limiter.tighten(1, 1030.0)
    taken = (await limiter.take([upstream], upstream=True)).taken
    assert taken is not None
    wall[0] = 1031.0
    assert limiter.host_wait() is None  # the window passed: what is left is unknown again
    await limiter.give_back(taken)
    assert limiter.host_wait() is None


@pytest.mark.parametrize("shared", [False, True], ids=["local", "redis"])
async def test_each_limit_of_a_decision_reports_its_own_remaining_and_reset(
    redis_url: str, shared: bool
) -> None:
    async with limiter_for(redis_url, shared) as limiter, asyncio.timeout(TIMEOUT):
        key, upstream = Limit("key:a", Rate(5, 60)), Limit("upstream", Rate(10, 3600))
        await limiter.take([key, upstream], upstream=True)
        second = await limiter.take([key, upstream], upstream=True)
    assert [(d.allowed, d.limit, d.remaining) for d in second.decisions] == [
        (True, 5, 3),
        (True, 10, 8),
    ]
    assert 50 < second.decisions[0].reset_after <= 60
    assert 3590 < second.decisions[1].reset_after <= 3600


@pytest.mark.parametrize("shared", [False, True], ids=["local", "redis"])
async def test_a_refused_decision_reports_every_limit_refused_with_what_it_has_left(
    redis_url: str, shared: bool
) -> None:
    async with limiter_for(redis_url, shared) as limiter, asyncio.timeout(TIMEOUT):
        key, upstream = Limit("key:a", Rate(1, 60)), Limit("upstream", Rate(10, 60))
        await limiter.take([key, upstream], upstream=True)
        refused = await limiter.take([key, upstream], upstream=True)
    assert [(d.allowed, d.limit, d.remaining) for d in refused.decisions] == [
        (False, 1, 0),
        (False, 10, 9),
    ]
    assert all(50 < d.reset_after <= 60 for d in refused.decisions)


async def test_a_refusal_near_the_end_of_the_window_waits_only_for_what_is_left_of_it() -> None:
    now = [100.0]
    limiter = LocalLimiter(clock=lambda: now[0])
    limit = Limit("key:a", Rate(1, 60))
    await limiter.take([limit], upstream=False)
    now[0] = 159.5
    assert (await limiter.take([limit], upstream=False)).retry_after == pytest.approx(0.5)


async def test_a_raised_rate_keeps_counting_the_requests_already_in_the_window() -> None:
    limiter = LocalLimiter(clock=lambda: 100.0)
    assert (await limiter.take([Limit("key:a", Rate(2, 60))], upstream=False)).allowed
    raised = Limit("key:a", Rate(3, 60))  # the keys file was edited
    verdicts = [await limiter.take([raised], upstream=False) for _ in range(3)]
    assert [v.allowed for v in verdicts] == [True, True, False]


async def test_the_hosts_word_holds_requests_to_the_last_moment_of_its_window() -> None:
    wall = [1000.0]
    limiter = LocalLimiter(wall_clock=lambda: wall[0])
    limiter.tighten(0, 1030.0)
    wall[0] = 1029.5
    refused = await limiter.take([Limit("upstream", Rate(100, 3600))], upstream=True)
    assert refused.refused_by == "host"
    assert refused.retry_after == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("reports", "allowed"),
    [
        ([(0, 1030.0), (5, 1030.0)], 0),
        ([(5, 1030.0), (1, 1030.0)], 1),
        ([(1, 1030.0), (3, 1060.0)], 3),
    ],
    ids=["late-report-in-the-window", "lower-report-in-the-window", "new-window"],
)
async def test_the_hosts_word_only_lowers_what_is_left_within_its_window(
    reports: list[tuple[int, float]], allowed: int
) -> None:
    limiter = LocalLimiter(wall_clock=lambda: 1000.0)
    for remaining, reset_at in reports:
        limiter.tighten(remaining, reset_at)
    upstream = Limit("upstream", Rate(100, 3600))
    verdicts = [await limiter.take([upstream], upstream=True) for _ in range(allowed + 1)]
    assert [v.allowed for v in verdicts] == [True] * allowed + [False]


@pytest.mark.parametrize(
    ("take_between", "later", "allowed"),
    [(False, (1, 30), 1), (True, (3, 60), 3)],
    ids=["lower-in-the-same-window", "a-new-window-after-a-take"],
)
async def test_a_hosts_report_that_changes_what_is_left_reaches_the_other_gateways(
    redis_url: str, take_between: bool, later: tuple[int, int], allowed: int
) -> None:
    now = time.time()
    async with shared_limiter(redis_url) as one, shared_limiter(redis_url) as two:
        async with asyncio.timeout(TIMEOUT):
            await tell(one, 5 if not take_between else 1, now + 30)
            if take_between:
                assert (await one.take([], upstream=True)).allowed
            await tell(one, later[0], now + later[1])
            verdicts = [await two.take([], upstream=True) for _ in range(allowed + 1)]
    assert [v.refused_by for v in verdicts] == [None] * allowed + ["host"]


@pytest.mark.parametrize(
    ("first", "given_back", "after", "sent", "left"),
    [
        (5, False, 2, True, 2),
        (2, False, 3, False, 1),
        (1, False, 0, False, 0),
        (2, True, 2, False, 2),
    ],
    ids=[
        "lower-reaches-the-others",
        "higher-is-not-sent",
        "equal-is-not-sent",
        "after-giving-back",
    ],
)
async def test_a_host_report_after_a_take_is_shared_only_when_it_lowers_what_redis_holds(
    redis_url: str, first: int, given_back: bool, after: int, sent: bool, left: int
) -> None:
    # After the take Redis holds first - 1 (first again once the request is given back). A
    # report of as much or more (the answer to a request sent earlier) would not lower it:
    # it costs no round trip, and the others still see what Redis holds.
    reset = time.time() + 30
    async with shared_limiter(redis_url) as one, shared_limiter(redis_url) as two:
        async with asyncio.timeout(TIMEOUT):
            await tell(one, first, reset)
            taken = await one.take([Limit("key:a", Rate(5, 60))], upstream=True)
            assert taken.taken is not None
            if given_back:
                await one.give_back(taken.taken)
            sharing = one.tighten(after, reset)
            assert (sharing is not None) == sent
            if sharing is not None:
                await sharing
            verdicts = [await two.take([], upstream=True) for _ in range(left + 1)]
    assert [v.refused_by for v in verdicts] == [None] * left + ["host"]


async def test_while_redis_is_down_the_hosts_word_that_nothing_is_left_still_refuses(
    redis_server: RedisServer, redis_url: str
) -> None:
    limit = Limit("upstream", Rate(100, 3600), on_failure="local")
    async with shared_limiter(redis_url) as limiter, asyncio.timeout(TIMEOUT):
        await tell(limiter, 0, time.time() + 30)
        redis_server.stop()
        try:
            verdict = await limiter.take([limit], upstream=True)
        finally:
            redis_server.start()
    assert verdict.fallback
    assert verdict.refused_by == "host"


async def test_a_late_host_report_does_not_raise_what_is_left(redis_url: str) -> None:
    reset = time.time() + 30
    async with shared_limiter(redis_url) as one, shared_limiter(redis_url) as two:
        async with asyncio.timeout(TIMEOUT):
            for limiter, left in ((one, 0), (two, 5)):
                sharing = limiter.tighten(left, reset)
                assert sharing is not None
                await sharing
            verdict = await two.take([], upstream=True)
    assert verdict.refused_by == "host"


@pytest.mark.parametrize(
    ("policy", "allowed"), [("refuse", 0), ("local", 3)], ids=["refuse", "local"]
)
async def test_while_redis_is_down_each_limit_follows_its_policy_then_sharing_resumes(
    redis_server: RedisServer, redis_url: str, policy: str, allowed: int
) -> None:
    failures: list[BaseException] = []
    limit = Limit("upstream", Rate(3, 60), on_failure=policy)  # type: ignore[arg-type]
    async with shared_limiter(redis_url, on_failure=failures.append) as limiter:
        async with asyncio.timeout(TIMEOUT):
            assert (await limiter.take([limit], upstream=True)).allowed
            redis_server.stop()
            try:
                down = [await limiter.take([limit], upstream=True) for _ in range(5)]
            finally:
                redis_server.start()
            assert sum(v.allowed for v in down) == allowed
            assert all(v.unavailable for v in down) == (policy == "refuse")
            assert len(failures) == 1  # tried once, then left alone while down
            assert isinstance(failures[0], Exception)
            await asyncio.sleep(1.05)  # REDIS_RETRY_AFTER
            # Redis restarted empty: the shared count starts again from nothing.
            back = [await limiter.take([limit], upstream=True) for _ in range(4)]
    assert [v.allowed for v in back] == [True, True, True, False]
    assert not back[-1].unavailable


async def test_giving_back_after_the_window_passed_frees_nothing() -> None:
    now = [100.0]
    limiter = LocalLimiter(clock=lambda: now[0])
    limit = Limit("upstream", Rate(1, 60))
    old = await limiter.take([limit], upstream=True)
    now[0] += 61.0
    assert (await limiter.take([limit], upstream=True)).allowed
    assert old.taken is not None
    await limiter.give_back(old.taken)
    # The old request left the window by itself; the new one is still counted.
    assert (await limiter.take([limit], upstream=True)).refused_by == "upstream"


async def test_while_redis_is_down_a_refusing_limit_refuses_the_request_as_unavailable(
    redis_server: RedisServer, redis_url: str
) -> None:
    key = Limit("key:a", Rate(5, 60), on_failure="local")
    upstream = Limit("upstream", Rate(10, 60), on_failure="refuse")
    async with shared_limiter(redis_url) as limiter, asyncio.timeout(TIMEOUT):
        redis_server.stop()
        try:
            verdict = await limiter.take([key, upstream], upstream=True)
        finally:
            redis_server.start()
    assert (verdict.allowed, verdict.refused_by, verdict.unavailable, verdict.fallback) == (
        False,
        "upstream",
        True,
        True,
    )
    assert verdict.retry_after == REDIS_RETRY_AFTER
    assert [(d.allowed, d.limit, d.remaining, d.reset_after) for d in verdict.decisions] == [
        (False, 5, 0, REDIS_RETRY_AFTER),
        (False, 10, 0, REDIS_RETRY_AFTER),
    ]


async def test_a_request_counted_locally_while_redis_was_down_is_given_back_locally(
    redis_server: RedisServer, redis_url: str
) -> None:
    limit = Limit("upstream", Rate(1, 60), on_failure="local")
    async with shared_limiter(redis_url) as limiter, asyncio.timeout(TIMEOUT):
        redis_server.stop()
        try:
            taken = await limiter.take([limit], upstream=True)
            assert taken.fallback and taken.taken is not None
            await limiter.give_back(taken.taken)
            again = await limiter.take([limit], upstream=True)
        finally:
            redis_server.start()
    assert again.allowed


async def test_giving_back_while_redis_is_down_raises_nothing_and_counts_the_failure(
    redis_server: RedisServer, redis_url: str
) -> None:
    failures: list[BaseException] = []
    limit = Limit("upstream", Rate(1, 60))
    async with shared_limiter(redis_url, on_failure=failures.append) as limiter:
        async with asyncio.timeout(TIMEOUT):
            taken = (await limiter.take([limit], upstream=True)).taken
            assert taken is not None
            redis_server.stop()
            try:
                await limiter.give_back(taken)
            finally:
                redis_server.start()
    assert len(failures) == 1
    assert isinstance(failures[0], Exception)  # what Redis raised, for the metrics


async def test_a_host_report_while_redis_is_down_holds_this_gateway_and_raises_nothing(
    redis_server: RedisServer, redis_url: str
) -> None:
    failures: list[BaseException] = []
    limit = Limit("upstream", Rate(100, 3600), on_failure="local")
    async with shared_limiter(redis_url, on_failure=failures.append) as limiter:
        async with asyncio.timeout(TIMEOUT):
            redis_server.stop()
            try:
                sharing = limiter.tighten(5, time.time() + 30)
                assert sharing is not None  # Redis not yet known to be down: tried once
                await sharing
                assert len(failures) == 1
                # Known down: the next report is kept here alone, without a try.
                assert limiter.tighten(0, time.time() + 30) is None
                verdict = await limiter.take([limit], upstream=True)
            finally:
                redis_server.start()
    assert len(failures) == 1
    assert isinstance(failures[0], Exception)  # what Redis raised, for the metrics
    assert (verdict.fallback, verdict.refused_by) == (True, "host")


async def test_a_host_report_redis_lost_in_a_restart_is_shared_again(
    redis_server: RedisServer, redis_url: str
) -> None:
    # Redis restarted empty has forgotten the host's word: the next report for the same
    # window must go to it again, though this process sent one for that window before.
    reset = time.time() + 30
    async with shared_limiter(redis_url) as one, shared_limiter(redis_url) as two:
        async with asyncio.timeout(TIMEOUT):
            await tell(one, 5, reset)
            redis_server.stop()
            redis_server.start()
            for _ in range(3):  # until Redis answers again (left alone 1 s after a failure)
                if not (await one.take([], upstream=True)).fallback:
                    break
                await asyncio.sleep(REDIS_RETRY_AFTER + 0.05)
            else:
                raise AssertionError("Redis did not answer after its restart")
            sharing = one.tighten(3, reset)
            assert sharing is not None
            await sharing
            verdicts = [await two.take([], upstream=True) for _ in range(4)]
    assert [v.refused_by for v in verdicts] == [None, None, None, "host"]
