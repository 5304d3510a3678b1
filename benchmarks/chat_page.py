"""The chat page's main thread while a very long answer streams in, now and at a past commit.

    python -m benchmarks.chat_page                       # the page as it is
    python -m benchmarks.chat_page --before 863fbce      # and the page of that commit
    python -m benchmarks.chat_page --runs 3 --slowdown 1 --slowdown 4

Each run opens the page in headless Chromium, streams the long-answer budget tests' answer
(16,000 words of Markdown at 300 words a second, about 55 s) through a gateway under uvicorn,
and records every long task (50 ms or more) with a ``PerformanceObserver``. It prints, per
page and CPU slowdown (``Emulation.setCPUThrottlingRate``), the share of the stream's time
the main thread was blocked, the longest task, and the load average while it ran.

``--before REV`` extracts ``src/aiodynaspark/server/ui/`` of that commit (``git archive``)
into a temporary directory and serves it exactly as the current files are served, with the
same gateway; nothing in the working tree changes. The tests in ``tests/browser`` hold the
budgets; this script only measures, for the figures in ``docs/chat-page.md``.
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

from ._common import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Browser

UI_PATH = "src/aiodynaspark/server/ui"
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
    from aiodynaspark.server._ui import load_ui_files, mount_ui

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
                        print(
                            f"{run.page:>8} CPU {run.slowdown:g}x: {run.seconds:5.1f} s, "
                            f"{run.tasks:4d} long tasks, blocked {run.blocked:6.1%}, "
                            f"longest {run.longest_ms:5.0f} ms, load {run.load:.2f}",
                            flush=True,
                        )
                        results.append(run)
        finally:
            browser.close()
    return results


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
