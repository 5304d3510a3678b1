"""How fast the chat page comes up, and what a reload costs."""

from collections import Counter

import pytest
from chatpage import ChatPage
from playwright.sync_api import Page, Response

pytestmark = pytest.mark.browser

# First content on loopback: the page is small and has no render-blocking third party.
FIRST_CONTENT_MS = 300
RELOADS = 5

_FIRST_PAINT_JS = """() => new Promise((resolve) => {
  const found = () => performance.getEntriesByName("first-contentful-paint")[0];
  if (found()) return resolve(found().startTime);
  new PerformanceObserver(() => found() && resolve(found().startTime))
    .observe({ type: "paint", buffered: true });
})"""


def test_first_content_is_painted_within_300_ms(chat: ChatPage) -> None:
    # A reload is the load people meet every day: the files come from the cache after a
    # 304 each. The best of a few loads, so another process's burst on a shared machine
    # does not decide it.
    paints = []
    for _ in range(RELOADS):
        chat.page.reload()
        paints.append(chat.page.evaluate(_FIRST_PAINT_JS))
    print(f"\nfirst contentful paint on reloads: {', '.join(f'{p:.0f}' for p in paints)} ms")
    assert min(paints) <= FIRST_CONTENT_MS, paints


def test_reload_asks_once_per_file_and_gets_304s(chat: ChatPage) -> None:
    answers: list[Response] = []

    def keep(response: Response) -> None:
        path = response.url.removeprefix(chat.url)
        if path == "/" or path.startswith("/ui/"):
            answers.append(response)

    chat.page.on("response", keep)
    chat.page.reload()
    chat.wait_ready()

    per_file = Counter(response.url for response in answers)
    assert max(per_file.values()) == 1
    # Chromium refetches the document itself whole; every file it loads is a 304.
    assets = [response for response in answers if "/ui/" in response.url]
    assert {response.status for response in assets} == {304}
    assert f"{chat.url}/ui/markdown.js" in per_file


def test_files_travel_compressed(page: Page, gateway: str) -> None:
    encodings: dict[str, str] = {}
    page.on(
        "response",
        lambda response: encodings.__setitem__(
            response.url, response.headers.get("content-encoding", "")
        ),
    )
    ChatPage(page, gateway).open()

    assert encodings[f"{gateway}/ui/app.js"] == "gzip"
    assert encodings[f"{gateway}/ui/style.css"] == "gzip"
