"""Budgets of the main thread while a very long answer streams in.

A 16,000-word Markdown answer arrives at 300 words a second (about 55 s) from a paced
upstream, through the gateway. A ``PerformanceObserver`` in the page records every long
task (50 ms or more); the time they take, over the stream's time, is the share of the
stream during which the page could not answer a key or a click.

These are budgets of the page's rendering, measured in the browser the tests drive; on a
loaded machine they read high, never low.
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest
from chatpage import ChatPage
from long_answer import PacedUpstream, long_markdown
from playwright.sync_api import Page, expect

from aiodynaspark.testing._thread import serve_in_thread

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

ANSWER_WORDS = 16_000
# The stream lasts ~55 s; rendering may finish a little after the last event.
STREAM_WAIT_MS = 150_000

_OBSERVE_JS = """() => {
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      window.__longTasks.push([entry.startTime - window.__streamStart, entry.duration]);
    }
  }).observe({ type: "longtask" });
  window.__streamStart = performance.now();
}"""
_RESULT_JS = """() => ({
  elapsed: performance.now() - window.__streamStart,
  tasks: window.__longTasks,
})"""


@pytest.fixture(scope="module")
def long_text() -> str:
    return long_markdown(ANSWER_WORDS)


@pytest.fixture
def long_gateway(
    long_text: str, gateway_in_front_of: Callable[[str], AbstractContextManager[str]]
) -> Iterator[str]:
    upstream = PacedUpstream(long_text)
    with (
        serve_in_thread(upstream, name="paced-upstream"),
        gateway_in_front_of(upstream.url) as url,
    ):
        yield url


def stream_and_measure(
    page: Page, gateway: str, sections: int, cpu_slowdown: float
) -> tuple[float, float]:
    """Stream the long answer; return (blocked share of the stream, longest task in ms)."""
    chat = ChatPage(page, gateway)
    chat.open()
    if cpu_slowdown > 1:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu_slowdown})
    page.evaluate(_OBSERVE_JS)
    chat.send("Write a long guide to streaming.")
    expect(chat.last_answer).to_have_attribute("data-status", "done", timeout=STREAM_WAIT_MS)
    result = page.evaluate(_RESULT_JS)
    tasks = [duration for _, duration in result["tasks"]]
    worst = sorted(result["tasks"], key=lambda task: -task[1])[:5]
    print("\nlongest tasks (start s, ms):", [(round(t / 1000, 1), round(d)) for t, d in worst])
    blocked = sum(tasks) / result["elapsed"]
    longest = max(tasks, default=0.0)
    print(
        f"\nlong answer at {cpu_slowdown}x CPU: {result['elapsed'] / 1000:.1f} s, "
        f"{len(tasks)} long tasks, blocked {blocked:.1%}, longest {longest:.0f} ms"
    )
    # The whole answer is on the page, rendered: every section's heading is there.
    expect(chat.last_answer.locator(".msg-text h2")).to_have_count(sections)
    return blocked, longest


def test_long_answer_blocks_the_main_thread_at_most_a_tenth_of_the_time(
    page: Page, long_gateway: str, long_text: str
) -> None:
    sections = long_text.count("## ")
    blocked, longest = stream_and_measure(page, long_gateway, sections, cpu_slowdown=1)

    assert blocked <= 0.10
    assert longest <= 100


def test_long_answer_on_a_slow_cpu_blocks_at_most_a_quarter_of_the_time(
    page: Page, long_gateway: str, long_text: str
) -> None:
    sections = long_text.count("## ")
    blocked, longest = stream_and_measure(page, long_gateway, sections, cpu_slowdown=4)

    assert blocked <= 0.25
    assert longest <= 250
