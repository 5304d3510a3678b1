"""What a load and a reload of the chat page cost (its time is measured by benchmarks.chat_page)."""

from collections import Counter

import pytest
from chatpage import ChatPage
from playwright.sync_api import Page, Response

pytestmark = pytest.mark.browser


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
