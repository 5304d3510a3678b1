"""Pictures of the chat page's states for docs/chat-page.md, taken only on request.

    AIODYNASPARK_UPDATE_README_IMAGE=1 pytest -m browser -k screenshot

writes ``docs/images/chat-*.png``; an ordinary run skips these, so it never changes a
tracked file and spends no time on pictures.
"""

import os
from collections.abc import Iterator

import pytest
from chatpage import REPO_ROOT, ChatPage
from playwright.sync_api import Browser, Page, expect

from aiodynaspark.testing import Emulator, Fault

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.environ.get("AIODYNASPARK_UPDATE_README_IMAGE"),
        reason="screenshots are taken on request: set AIODYNASPARK_UPDATE_README_IMAGE=1",
    ),
]

IMAGES = REPO_ROOT / "docs" / "images"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ANSWER = (
    "Here is how to stream:\n\n"
    "```python\nasync with AsyncClient() as client:\n    async for piece in client.stream('Hi'):\n"
    "        print(piece, end='')\n```\n\n"
    "| Library | Purpose |\n|---|---|\n"
    "| aiohttp | HTTP client and server |\n| pydantic | typed models |"
)


@pytest.fixture(params=["light", "dark"])
def shot_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, color_scheme=request.param)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def save(page: Page, name: str) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=IMAGES / f"chat-{name}.png")


def test_screenshot_of_conversations_and_an_answer(
    shot_page: Page, gateway: str, emulator: Emulator
) -> None:
    chat = ChatPage(shot_page, gateway)
    chat.open()
    chat.send("Plan a weekend in Lisbon")
    chat.wait_done()
    chat.new_chat()
    chat.send(ANSWER)
    chat.wait_done()
    chat.prompt.focus()
    dark = shot_page.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches")
    save(shot_page, "dark" if dark else "conversations")


def test_screenshot_of_an_error_and_a_stopped_answer(
    browser: Browser, gateway: str, emulator: Emulator
) -> None:
    page = browser.new_page(viewport=DESKTOP)
    try:
        chat = ChatPage(page, gateway)
        chat.open()
        emulator.hold()
        chat.send("Tell me a story")
        expect(chat.last_answer).to_have_attribute("data-status", "streaming")
        chat.stop_button.click()
        emulator.release()
        emulator.push(Fault.status(503))
        chat.send("Are you there?")
        error = chat.last_answer.locator(".msg-error")
        expect(error).to_be_visible()
        error.locator("summary").click()
        save(page, "error")
    finally:
        page.close()


def test_screenshot_of_right_to_left_answers(browser: Browser, gateway: str) -> None:
    page = browser.new_page(viewport=DESKTOP)
    try:
        chat = ChatPage(page, gateway)
        chat.open()
        chat.send("שלום! מה שלומך היום?\n\nمرحبا بالعالم، هذه فقرة باللغة العربية.")
        chat.wait_done()
        save(page, "rtl")
    finally:
        page.close()


def test_screenshot_of_a_generated_picture(browser: Browser, gateway: str) -> None:
    page = browser.new_page(viewport=DESKTOP)
    try:
        chat = ChatPage(page, gateway)
        chat.open()
        page.get_by_role("group", name="Mode").get_by_text("Image").click()
        chat.send("A lighthouse at dusk")
        expect(chat.last_answer.locator("img.generated-image")).to_be_visible()
        save(page, "picture")
    finally:
        page.close()


def test_screenshot_of_the_phone_drawer(browser: Browser, gateway: str) -> None:
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    try:
        page = context.new_page()
        chat = ChatPage(page, gateway)
        chat.open()
        chat.send("A question from a phone")
        chat.wait_done()
        save(page, "phone")
        page.get_by_role("button", name="Conversations").click()
        expect(page.get_by_role("navigation", name="Conversations")).to_be_visible()
        page.wait_for_timeout(300)  # the drawer's slide
        save(page, "phone-drawer")
    finally:
        context.close()


def test_screenshot_of_jump_to_latest(browser: Browser, gateway: str, emulator: Emulator) -> None:
    page = browser.new_page(viewport=DESKTOP)
    try:
        chat = ChatPage(page, gateway)
        chat.open()
        emulator.stream_delay = 0.03
        chat.send("\n\n".join(f"Paragraph {n} of a long answer." for n in range(40)))
        page.wait_for_function(
            "() => document.querySelectorAll('li.msg-assistant .msg-text p').length >= 20"
        )
        page.locator("#conversation").hover()
        page.mouse.wheel(0, -200)
        expect(page.get_by_role("button", name="Jump to latest")).to_be_visible()
        save(page, "jump")
    finally:
        page.close()
