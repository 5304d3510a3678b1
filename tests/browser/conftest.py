"""Fixtures of the browser tests: Chromium, the emulator and the gateway under uvicorn.

The emulator and the gateway each run on their own event loop in a background thread, so
the tests use Playwright's synchronous API from plain (not async) test functions.
"""

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest
from chatpage import API_KEY, ChatPage, PageLog
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from aiodynaspark.testing import Emulator

# Every Playwright wait is bounded by this (milliseconds).
WAIT_MS = 10_000
# Starting or stopping uvicorn takes milliseconds; this only catches a wedged server.
SERVER_START_SECONDS = 10.0
SERVER_STOP_SECONDS = 10.0
# Chromium flags for a sandboxed CI container with no network: nothing phones home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BROWSER_ENV = "AIODYNASPARK_CHROMIUM"
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    """The browser to drive: $AIODYNASPARK_CHROMIUM, else the first Chromium on PATH."""
    configured = os.environ.get(BROWSER_ENV)
    if configured:
        return configured
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


@contextlib.contextmanager
def serve_gateway(upstream_url: str, api_key: str | None = None, **options: int) -> Iterator[str]:
    """Run the gateway in front of the Dynaspark host at ``upstream_url`` under uvicorn.

    Args:
        upstream_url: The Dynaspark host (the emulator, or another stand-in).
        api_key: The key the gateway asks for, if any.
        **options: Other gateway settings (bounds such as ``max_text_chars``).

    Yields:
        The gateway's root URL, ``http://127.0.0.1:PORT``.
    """
    import uvicorn

    from aiodynaspark.server import create_app

    # An empty key, not None: None would read AIODYNASPARK_API_KEY from the environment.
    app = create_app(
        base_url=upstream_url,
        max_retries=0,
        ui=True,
        api_key=api_key or "",
        **options,  # type: ignore[misc]
    )
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="gateway", daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_SECONDS
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the gateway did not start; see the log above")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the gateway did not start within {SERVER_START_SECONDS} s")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(SERVER_STOP_SECONDS)
        if thread.is_alive():
            raise TimeoutError(f"the gateway did not stop within {SERVER_STOP_SECONDS} s")


# Module scope, not session: Playwright's sync API keeps an event loop running while it is
# started, which would break every async test that pytest runs after the browser tests.
@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    path = find_chromium()
    if path is None:
        pytest.skip(
            f"no Chromium found: set {BROWSER_ENV} or install chromium "
            "(apt-get install chromium); Playwright's own download is not used"
        )
    if not os.access(path, os.X_OK):
        pytest.fail(f"{BROWSER_ENV}={path!r} is not an executable file")
    browser = playwright_instance.chromium.launch(
        executable_path=path, args=CHROMIUM_ARGS, headless=True, timeout=WAIT_MS
    )
    yield browser
    browser.close()


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator.run_in_thread() as emu:
        try:
            yield emu
        finally:
            emu.release()  # a test that failed while holding must not wedge the shutdown


@pytest.fixture
def gateway(emulator: Emulator) -> Iterator[str]:
    with serve_gateway(emulator.url) as url:
        yield url


@pytest.fixture
def gateway_in_front_of() -> Callable[[str], AbstractContextManager[str]]:
    """Start a gateway in front of another upstream than the emulator (a context manager)."""
    return serve_gateway


@pytest.fixture
def keyed_gateway(emulator: Emulator) -> Iterator[str]:
    with serve_gateway(emulator.url, api_key=API_KEY) as url:
        yield url


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


def _open_page(browser: Browser, log: PageLog, **options: object) -> Iterator[Page]:
    context = browser.new_context(**options)  # type: ignore[arg-type]
    context.set_default_timeout(WAIT_MS)
    context.on("request", lambda request: log.requests.append(request.url))
    page = context.new_page()
    page.on("pageerror", lambda error: log.page_errors.append(str(error)))
    page.on("console", log.on_console)
    try:
        yield page
    finally:
        context.close()
    # Every test also checks that the page threw nothing and broke no CSP rule.
    assert log.page_errors == [], f"uncaught errors in the page: {log.page_errors}"
    assert log.csp_violations == [], f"CSP violations: {log.csp_violations}"


@pytest.fixture
def page(browser: Browser, page_log: PageLog) -> Iterator[Page]:
    yield from _open_page(browser, page_log, viewport={"width": 1100, "height": 800})


@pytest.fixture
def phone_page(browser: Browser, page_log: PageLog) -> Iterator[Page]:
    yield from _open_page(
        browser,
        page_log,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )


@pytest.fixture
def chat(page: Page, gateway: str) -> ChatPage:
    """The chat page of an open gateway (no API key), loaded."""
    driver = ChatPage(page, gateway)
    driver.open()
    return driver
