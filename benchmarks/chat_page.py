"""The chat page's budgets, measured now and at a past commit.

    python -m benchmarks.chat_page                       # the page as it is
    python -m benchmarks.chat_page --before 863fbce      # and the page of that commit
    python -m benchmarks.chat_page --runs 3 --slowdown 1 --slowdown 4

Each run opens the page in headless Chromium, streams a long answer (16,000 words of Markdown
at 300 words a second, about 55 s) through a gateway under uvicorn, and records every long
task (50 ms or more) with a ``PerformanceObserver``. It prints, per page and CPU slowdown
(``Emulation.setCPUThrottlingRate``), the share of the stream's time the main thread was
blocked, the longest task, and the load average while it ran. Then, per page: a cold first
load's requests and bytes, the first contentful paint of a reload (best of five), and the
longest task while a saved conversation of ten long answers is opened. Each figure is printed
beside its budget (``BUDGETS``); the budgets live here, not in the test suite, because a
loaded machine reads high.

``--before REV`` extracts ``src/aiodynaspark/server/ui/`` of that commit (``git archive``)
into a temporary directory and serves it exactly as the current files are served, with the
same gateway; nothing in the working tree changes.
"""

import argparse
import contextlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ._chat_page_loads import REOPEN_WORDS, measure_first_load, measure_reopen
from ._common import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Browser

UI_PATH = "src/aiodynaspark/server/ui"
# slowdown -> (largest blocked share, longest task in ms) while the long answer streams: at
# full speed the page must stay responsive (100 ms is where a delay is felt, RAIL), with the
# CPU throttled 4x (a mid-range phone) a task may take a frame budget of a slow device.
BUDGETS = {1.0: (0.10, 100.0), 4.0: (0.25, 250.0)}
# Opening a saved conversation of ten long answers: no task over this (ms).
REOPEN_BUDGET_MS = 100.0
# The first load's bytes, over the 54 KB the page had before highlighting and math came in
# (they load only when an answer needs them): at most 25 % more.
FIRST_LOAD_BUDGET_BYTES = int(54 * 1024 * 1.25)
# First contentful paint on loopback: the page is small and has no render-blocking third party.
FIRST_PAINT_BUDGET_MS = 300.0
ANSWER_WORDS = 16_000
# The stream lasts ~55 s; an old page may take a while past the last event to draw it all.
STREAM_WAIT_MS = 240_000
WAIT_MS = 15_000
SERVER_START_SECONDS = 10.0
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

_OBSERVE_JS = """() => {
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
  }).observe({ type: "longtask" });
  window.__streamStart = performance.now();
}"""
_RESULT_JS = """() => ({
  elapsed: performance.now() - window.__streamStart,
  tasks: window.__longTasks,
  headings: document.querySelectorAll("li.msg-assistant .msg-text h2").length,
})"""


@dataclass(frozen=True)
class Run:
    """One measured stream."""

    page: str
    slowdown: float
    seconds: float
    tasks: int
    blocked: float
    longest_ms: float
    load: float


def extract_ui(revision: str, into: Path) -> Path:
    """Write the page's files as they were at ``revision`` into ``into``; return the folder."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, UI_PATH],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / UI_PATH


@contextlib.contextmanager
def serve_page(upstream_url: str, ui: Path | None) -> Iterator[str]:
    """The gateway in front of ``upstream_url``, serving the page's files from ``ui``."""
    import uvicorn

    from aiodynaspark.server import create_app
    from aiodynaspark.server.ui._files import load_ui_files, mount_ui

    app = create_app(base_url=upstream_url, max_retries=0, ui=False, api_key="")
    mount_ui(app, load_ui_files(ui))
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="gateway", daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the gateway did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(SERVER_START_SECONDS)


def measure(
    browser: "Browser", url: str, sections: int, slowdown: float
) -> tuple[float, list[float]]:
    """Stream the answer once; return (the stream's seconds, every long task's ms)."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1100, "height": 800})
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        page.goto(f"{url}/")
        expect(page.locator("body.is-ready")).to_be_attached()
        expect(page.locator("#model")).to_be_enabled()
        if slowdown > 1:
            cdp = context.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": slowdown})
        page.evaluate(_OBSERVE_JS)
        page.locator("#prompt").fill("Write a long guide to streaming.")
        page.locator("#prompt").press("Enter")
        answer = page.locator("li.msg-assistant").last
        expect(answer).to_have_attribute("data-status", "done", timeout=STREAM_WAIT_MS)
        result = page.evaluate(_RESULT_JS)
        if result["headings"] != sections:
            raise RuntimeError(f"{result['headings']} of {sections} sections on the page")
        return result["elapsed"] / 1000, list(result["tasks"])
    finally:
        context.close()


def run_all(pages: dict[str, Path | None], slowdowns: list[float], runs: int) -> list[Run]:
    """Measure every page at every slowdown ``runs`` times, interleaved."""
    from playwright.sync_api import sync_playwright

    from aiodynaspark.testing._thread import serve_in_thread

    # The budget tests' answer and its paced upstream: the same stream, measured the same way.
    sys.path.insert(0, os.path.join(ROOT, "tests", "browser"))
    from long_answer import PacedUpstream, long_markdown  # type: ignore[import-not-found]

    chromium = os.environ.get("AIODYNASPARK_CHROMIUM") or shutil.which("chromium")
    if chromium is None:
        raise SystemExit("no Chromium: set AIODYNASPARK_CHROMIUM or install chromium")
    text = long_markdown(ANSWER_WORDS)
    sections = text.count("## ")
    results: list[Run] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS, headless=True
        )
        try:
            # Interleaved (before, after, before, ...) so a change of machine load lands on
            # both pages rather than on one.
            for _ in range(runs):
                for slowdown in slowdowns:
                    for name, ui in pages.items():
                        upstream = PacedUpstream(text)
                        with (
                            serve_in_thread(upstream, name="paced-upstream"),
                            serve_page(upstream.url, ui) as url,
                        ):
                            seconds, tasks = measure(browser, url, sections, slowdown)
                        run = Run(
                            page=name,
                            slowdown=slowdown,
                            seconds=seconds,
                            tasks=len(tasks),
                            blocked=sum(tasks) / 1000 / seconds,
                            longest_ms=max(tasks, default=0.0),
                            load=os.getloadavg()[0],
                        )
                        print(f"{run.page:>8} {_stream_line(run)}", flush=True)
                        results.append(run)
            answer = long_markdown(REOPEN_WORDS)
            for name, ui in pages.items():
                upstream = PacedUpstream(answer)
                with (
                    serve_in_thread(upstream, name="paced-upstream"),
                    serve_page(upstream.url, ui) as url,
                ):
                    _measure_loads(browser, name, url, answer)
        finally:
            browser.close()
    return results


def _verdict(ok: bool) -> str:
    return "within budget" if ok else "OVER BUDGET"


def _stream_line(run: Run) -> str:
    share, longest = BUDGETS.get(run.slowdown, (1.0, float("inf")))
    ok = run.blocked <= share and run.longest_ms <= longest
    return (
        f"CPU {run.slowdown:g}x: {run.seconds:5.1f} s, {run.tasks:4d} long tasks, "
        f"blocked {run.blocked:6.1%} (budget {share:.0%}), longest {run.longest_ms:5.0f} ms "
        f"(budget {longest:.0f}), load {run.load:.2f}: {_verdict(ok)}"
    )


def _measure_loads(browser: "Browser", name: str, url: str, answer: str) -> None:
    """Print the first load and the reopening of ten long answers, for one page."""
    first = measure_first_load(browser, url)
    ok = first.bytes <= FIRST_LOAD_BUDGET_BYTES
    print(
        f"{name:>8} first load: {first.requests} requests, {first.bytes / 1024:.1f} KB "
        f"(budget {FIRST_LOAD_BUDGET_BYTES / 1024:.1f} KB): {_verdict(ok)}; first paint on a "
        f"reload {first.first_paint_ms:.0f} ms (budget {FIRST_PAINT_BUDGET_MS:.0f}): "
        f"{_verdict(first.first_paint_ms <= FIRST_PAINT_BUDGET_MS)}",
        flush=True,
    )
    tasks = measure_reopen(browser, url, answer)
    longest = max(tasks, default=0.0)
    print(
        f"{name:>8} reopening 10 long answers: {len(tasks)} long tasks, longest {longest:.0f} ms "
        f"(budget {REOPEN_BUDGET_MS:.0f}), load {os.getloadavg()[0]:.2f}: "
        f"{_verdict(longest <= REOPEN_BUDGET_MS)}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--before", metavar="REV", help="also measure the page of this commit")
    parser.add_argument("--runs", type=int, default=1, help="streams per page and slowdown")
    parser.add_argument(
        "--slowdown", type=float, action="append", help="CPU slowdown (default: 1 and 4)"
    )
    args = parser.parse_args()
    slowdowns = args.slowdown or [1.0, 4.0]
    with tempfile.TemporaryDirectory(prefix="chat-page-") as scratch:
        pages: dict[str, Path | None] = {}
        if args.before:
            pages["before"] = extract_ui(args.before, Path(scratch))
        pages["after"] = None
        print(f"load average at start: {os.getloadavg()}", flush=True)
        run_all(pages, slowdowns, max(1, args.runs))
        print(f"load average at end: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
