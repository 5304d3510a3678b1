"""openai-node in a page of another origin, through CORS: what a browser app built on it sees.

The page and the SDK's ESM build (tests/node/node_modules, from ``npm ci --prefix tests/node``)
are served by the test's own loopback server, so nothing comes from a CDN; the gateway is a
second origin, allowed by ``cors_origins``.
"""

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import ClassVar

import pytest
from playwright.sync_api import Browser

from aiodynaspark.testing import Emulator

pytestmark = pytest.mark.browser

NODE_MODULES = Path(__file__).parents[1] / "node" / "node_modules"
WAIT_MS = 15_000
PAGE = """<!doctype html>
<meta charset="utf-8">
<title>openai-node</title>
<script type="module">
import OpenAI from "/openai/index.mjs";
const client = new OpenAI({
  baseURL: new URLSearchParams(location.search).get("gateway") + "/v1",
  apiKey: "x",
  dangerouslyAllowBrowser: true,
  maxRetries: 0,
});
try {
  const raw = await client.chat.completions
    .create({model: "gemini-2.0-flash", messages: [{role: "user", content: "Hello there"}],
             reasoning_effort: "low"})
    .withResponse();
  window.outcome = {content: raw.data.choices[0].message.content,
                    ignored: raw.response.headers.get("x-aiodynaspark-ignored-params")};
} catch (error) {
  window.outcome = {error: error.constructor.name, message: String(error.message)};
}
</script>
"""


class _Site(http.server.SimpleHTTPRequestHandler):
    # Browsers run a module script only when it is served as JavaScript.
    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
    }

    def do_GET(self) -> None:
        if self.path.startswith("/index.html"):
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def page_site() -> Iterator[str]:
    """Serve the page and node_modules/ (the SDK at /openai/) on 127.0.0.1; yield the origin."""
    if not (NODE_MODULES / "openai").is_dir():
        pytest.fail("openai-node is not installed: run npm ci --prefix tests/node")
    handler = functools.partial(_Site, directory=str(NODE_MODULES))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="page-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def outcome_of(browser: Browser, site: str, gateway: str) -> dict[str, str]:
    page = browser.new_page()
    try:
        page.goto(f"{site}/index.html?gateway={gateway}", timeout=WAIT_MS)
        page.wait_for_function("() => window.outcome !== undefined", timeout=WAIT_MS)
        outcome: dict[str, str] = page.evaluate("() => window.outcome")
    finally:
        page.close()
    return outcome


def test_openai_node_in_a_page_of_an_allowed_origin_gets_its_answer(
    browser: Browser,
    emulator: Emulator,
    gateway_in_front_of: Callable[..., AbstractContextManager[str]],
) -> None:
    with page_site() as site, gateway_in_front_of(emulator.url, cors_origins=[site]) as gateway:
        outcome = outcome_of(browser, site, gateway)
    assert outcome == {"content": "[gemini-2.0-flash] Hello there", "ignored": "reasoning_effort"}


def test_openai_node_in_a_page_of_another_origin_is_refused_by_the_browser(
    browser: Browser,
    emulator: Emulator,
    gateway_in_front_of: Callable[..., AbstractContextManager[str]],
) -> None:
    with (
        page_site() as site,
        gateway_in_front_of(emulator.url, cors_origins=["https://elsewhere.example"]) as gateway,
    ):
        outcome = outcome_of(browser, site, gateway)
    assert outcome["error"] == "APIConnectionError"
    assert emulator.requests == []
