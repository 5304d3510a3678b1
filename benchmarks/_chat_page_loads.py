"""The chat page's loads: the first (cold) load's requests and bytes, the first paint on a
reload, and reopening a conversation of ten long answers.

Used by ``python -m benchmarks.chat_page``; each function takes a browser and the URL of a
gateway serving the page, and returns what it measured.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

__all__ = ["REOPEN_WORDS", "FirstLoad", "measure_first_load", "measure_reopen"]

WAIT_MS = 15_000
RELOADS = 5
REOPEN_ANSWERS = 10
REOPEN_WORDS = 1_500

_FIRST_PAINT_JS = """() => new Promise((resolve) => {
  const found = () => performance.getEntriesByName("first-contentful-paint")[0];
  if (found()) return resolve(found().startTime);
  new PerformanceObserver(() => found() && resolve(found().startTime))
    .observe({ type: "paint", buffered: true });
})"""
_OBSERVE_JS = """() => {
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
  }).observe({ type: "longtask" });
}"""


@dataclass(frozen=True)
class FirstLoad:
    """A cold load of the page: what it fetched, and how soon a reload paints."""

    requests: int
    bytes: int
    first_paint_ms: float


def measure_first_load(browser: "Browser", url: str) -> FirstLoad:
    """Load the page in a fresh context (empty cache); count its requests and bytes."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1100, "height": 800})
    context.set_default_timeout(WAIT_MS)
    sizes: list[int] = []
    try:
        page = context.new_page()
        page.on("requestfinished", lambda request: sizes.append(_transferred(request)))
        page.goto(f"{url}/")
        expect(page.locator("body.is-ready")).to_be_attached()
        expect(page.locator("#model")).to_be_enabled()
        page.wait_for_load_state("networkidle")
        requests, total = len(sizes), sum(sizes)
        # A reload is the load people meet every day; the best of a few, so another
        # process's burst does not decide it.
        paints: list[float] = []
        for _ in range(RELOADS):
            page.reload()
            paints.append(float(page.evaluate(_FIRST_PAINT_JS)))
        return FirstLoad(requests=requests, bytes=total, first_paint_ms=min(paints))
    finally:
        context.close()


def _transferred(request: "object") -> int:
    """Bytes of one request's answer on the wire: headers and (compressed) body."""
    sizes = request.sizes()  # type: ignore[attr-defined]
    return int(sizes["responseHeadersSize"]) + int(sizes["responseBodySize"])


def measure_reopen(browser: "Browser", url: str, answer: str) -> list[float]:
    """Open a saved conversation of ten long answers from the list; return its long tasks."""
    from long_answer import seed_conversations  # type: ignore[import-not-found]
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1100, "height": 800})
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        page.goto(f"{url}/")
        expect(page.locator("body.is-ready")).to_be_attached()
        title = seed_conversations(page, answer, REOPEN_ANSWERS)
        page.reload()
        expect(page.locator("body.is-ready")).to_be_attached()
        expect(page.locator("li.msg-assistant")).to_have_count(1)
        page.evaluate(_OBSERVE_JS)
        nav = page.get_by_role("navigation", name="Conversations")
        nav.get_by_role("button", name=title, exact=True).click()
        sections = answer.count("## ") * REOPEN_ANSWERS
        expect(page.locator("li.msg-assistant .msg-text h2")).to_have_count(sections)
        page.wait_for_timeout(500)  # tasks that finish the drawing after the last heading
        return [float(duration) for duration in page.evaluate("() => window.__longTasks")]
    finally:
        context.close()
