"""axe-core over every state of the chat page, both themes, a desktop and a phone."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from chatpage import ChatPage, make_png
from playwright.sync_api import Browser, Page, Route, expect

from aiodynaspark.testing import Emulator, Fault

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
BLOCKING = {"critical", "serious"}


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


@pytest.fixture(
    params=[(theme, width) for theme in ("light", "dark") for width in WIDTHS],
    ids=lambda param: "-".join(param),
)
def themed_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    theme, width = request.param
    phone = width == "phone"
    context = browser.new_context(
        viewport=WIDTHS[width], color_scheme=theme, is_mobile=phone, has_touch=phone
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def blocking(axe: Axe, page: Page, state: str) -> list[str]:
    """The critical and serious violations axe finds, one line each."""
    response: dict[str, Any] = axe.run(page).response
    return [
        f"{state}: {v['id']} ({v['impact']}): "
        + "; ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in response["violations"]
        if v["impact"] in BLOCKING
    ]


_WHOLE = {
    "choices": [{"index": 0, "delta": {"content": "Run:\n\n```python\nprint(1)\n```\n\nSo $x^2$."}}]
}
_USAGE = {"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21}}


def whole_answer(route: Route) -> None:
    """The gateway's answer to a conversation too long to stream (whole, after a keep-alive)."""
    body = f": keep-alive\n\ndata: {json.dumps(_WHOLE)}\n\ndata: {json.dumps(_USAGE)}\n\n"
    headers = {"content-type": "text/event-stream", "x-aiodynaspark-stream": "whole"}
    route.fulfill(status=200, headers=headers, body=f"{body}data: [DONE]\n\n")


def test_every_state_has_no_serious_violation(
    themed_page: Page, gateway: str, emulator: Emulator, axe: Axe
) -> None:
    chat = ChatPage(themed_page, gateway)
    chat.open()
    found = blocking(axe, themed_page, "empty")

    chat.send(
        "An answer with **bold**, `code`, a [link](https://example.com) and:\n\n"
        "```python\nprint('a long line of code that is wider than a phone screen, surely')\n```\n\n"
        "| Library | Purpose |\n|---|---|\n| aiohttp | HTTP |"
    )
    chat.wait_done()
    # Regenerated once, as a long conversation answered whole: the versions, the tokens,
    # highlighted code, typeset math and the long-conversation notice are all on screen.
    themed_page.route("**/v1/chat/completions", whole_answer)
    chat.last_answer.get_by_role("button", name="Regenerate: write this answer again").click()
    chat.wait_done()
    themed_page.unroute("**/v1/chat/completions")
    expect(themed_page.locator("#long-notice")).to_be_visible()
    expect(chat.last_answer.locator("code.hljs")).to_have_count(1)
    expect(chat.last_answer.locator(".math.typeset")).to_have_count(1)
    found += blocking(axe, themed_page, "answer")

    emulator.push(Fault.status(503))
    chat.send("And now an error")
    expect(chat.last_answer.locator(".msg-error")).to_be_visible()
    found += blocking(axe, themed_page, "error")

    themed_page.get_by_role("group", name="Mode").get_by_text("Image").click()
    chat.send("A lighthouse")
    expect(chat.last_answer.locator("img.generated-image")).to_be_visible()
    found += blocking(axe, themed_page, "image mode")

    chat.attach(make_png(), "gradient.png", "image/png")
    themed_page.get_by_role("group", name="Mode").get_by_text("Chat").click()
    found += blocking(axe, themed_page, "attachment")

    if themed_page.viewport_size and themed_page.viewport_size["width"] < 500:
        themed_page.get_by_role("button", name="Conversations").click()
        found += blocking(axe, themed_page, "drawer")

    assert found == []


def test_the_key_dialog_has_no_serious_violation(
    themed_page: Page, keyed_gateway: str, axe: Axe
) -> None:
    themed_page.goto(f"{keyed_gateway}/")
    expect(themed_page.get_by_role("dialog", name="API key needed")).to_be_visible()

    assert blocking(axe, themed_page, "key dialog") == []
