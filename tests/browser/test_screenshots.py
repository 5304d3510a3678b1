"""Pictures of the chat page's states for docs/chat-page.md, taken only on request.

    AIODYNASPARK_UPDATE_README_IMAGE=1 pytest -m browser -k screenshot

writes ``docs/images/chat-*.png``; an ordinary run skips these, so it never changes a
tracked file and spends no time on pictures. The emulator's own answer repeats the
question; these pictures show a model's answer instead, queued with ``push_reply``.
"""

import os
from collections.abc import Iterator

import pytest
from chatpage import REPO_ROOT, ChatPage, make_png
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
STREAM_ANSWER = (
    "Open a client once and read the answer as it arrives:\n\n"
    "```python\nasync with AsyncClient() as client:\n"
    "    async for piece in client.stream('Hi'):\n"
    "        print(piece, end='')\n```\n\n"
    "| Library | Purpose |\n|---|---|\n"
    "| aiohttp | HTTP client and server |\n| pydantic | typed models |"
)
LISBON_ANSWER = (
    "A relaxed **two days**:\n\n"
    "1. *Saturday*: Alfama in the morning, the castle, dinner in Bairro Alto.\n"
    "2. *Sunday*: Belém, its tower and pastries, a sunset at a miradouro."
)
STORY = (
    "The lighthouse keeper climbed the stairs every evening at six, counting each of "
    "the hundred and twelve steps, and that night the sea was calmer than he had ever "
    "seen it, so calm that the beam seemed to lie on the water like a road. "
) * 4
GREETINGS = (
    "שלום! מה שלומך היום? אני שמח לעזור.\n\n"
    "مرحبا! كيف حالك اليوم؟ يسعدني أن أساعدك.\n\n"
    "Both mean *hello, how are you today? Glad to help.*"
)
PICTURE_ANSWER = (
    "A smooth **diagonal gradient**, with no objects in it:\n\n"
    "- **blue** in the top-left corner,\n"
    "- **pink** and **peach** towards the bottom right,\n"
    "- a soft *teal* along the left edge.\n\n"
    "The mood, in one word: *calm*."
)
PACKING_ANSWER = (
    "For a spring weekend:\n\n"
    "| Item | Why |\n|---|---|\n"
    "| Light jacket | evenings by the river are cool |\n"
    "| Walking shoes | the hills and cobbles |\n\n"
    "And a small umbrella, just in case."
)


@pytest.fixture(params=["light", "dark"])
def shot_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, color_scheme=request.param)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def desktop(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, color_scheme="light")
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def save(page: Page, name: str) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=IMAGES / f"chat-{name}.png")


def ask(chat: ChatPage, emulator: Emulator, question: str, answer: str) -> None:
    """Send ``question`` and wait until ``answer`` has streamed in."""
    emulator.push_reply(answer)
    chat.send(question)
    chat.wait_done()


def test_screenshot_of_the_page_after_an_answer_about_a_picture(
    browser: Browser, gateway: str, emulator: Emulator
) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 960})
    context.set_default_timeout(10_000)
    try:
        chat = ChatPage(context.new_page(), gateway)
        chat.open()
        chat.attach(make_png(160, 120), "gradient.png", "image/png")
        ask(chat, emulator, "What is in this picture, and what is its mood?", PICTURE_ANSWER)
        expect(chat.messages.first.locator("img.msg-image")).to_be_visible()
        chat.prompt.focus()
        save(chat.page, "page")
    finally:
        context.close()


def test_screenshot_of_conversations_and_an_answer(
    shot_page: Page, gateway: str, emulator: Emulator
) -> None:
    chat = ChatPage(shot_page, gateway)
    chat.open()
    ask(chat, emulator, "Plan a weekend in Lisbon", LISBON_ANSWER)
    chat.new_chat()
    ask(chat, emulator, "How do I stream an answer in Python?", STREAM_ANSWER)
    expect(chat.conversations).to_have_count(2)
    chat.prompt.focus()
    dark = shot_page.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches")
    save(shot_page, "dark" if dark else "conversations")


def test_screenshot_of_an_error_and_a_stopped_answer(
    desktop: Page, gateway: str, emulator: Emulator
) -> None:
    chat = ChatPage(desktop, gateway)
    chat.open()
    emulator.stream_delay = 0.02
    emulator.push_reply(STORY)
    chat.send("Tell me a story about a lighthouse")
    expect(chat.last_answer_text).to_contain_text("the sea was calmer")
    chat.stop_button.click()
    expect(chat.last_answer).to_have_attribute("data-status", "stopped")
    emulator.stream_delay = 0
    emulator.push(Fault.status(503))
    chat.send("Are you there?")
    error = chat.last_answer.locator(".msg-error")
    expect(error).to_be_visible()
    error.locator("summary").click()
    save(desktop, "error")


def test_screenshot_of_right_to_left_answers(
    desktop: Page, gateway: str, emulator: Emulator
) -> None:
    chat = ChatPage(desktop, gateway)
    chat.open()
    ask(chat, emulator, "איך אומרים שלום בערבית?", GREETINGS)
    save(desktop, "rtl")


def test_screenshot_of_a_generated_picture(desktop: Page, gateway: str) -> None:
    chat = ChatPage(desktop, gateway)
    chat.open()
    desktop.get_by_role("group", name="Mode").get_by_text("Image").click()
    chat.send("A lighthouse at dusk")
    expect(chat.last_answer.locator("img.generated-image")).to_be_visible()
    save(desktop, "picture")


def test_screenshot_of_the_phone_drawer(browser: Browser, gateway: str, emulator: Emulator) -> None:
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    try:
        page = context.new_page()
        chat = ChatPage(page, gateway)
        chat.open()
        ask(chat, emulator, "What should I pack for Lisbon?", PACKING_ANSWER)
        chat.prompt.blur()
        save(page, "phone")
        page.get_by_role("button", name="Conversations").click()
        expect(page.get_by_role("navigation", name="Conversations")).to_be_visible()
        page.wait_for_timeout(300)  # the drawer's slide
        save(page, "phone-drawer")
    finally:
        context.close()


def test_screenshot_of_jump_to_latest(desktop: Page, gateway: str, emulator: Emulator) -> None:
    chat = ChatPage(desktop, gateway)
    chat.open()
    emulator.stream_delay = 0.03
    emulator.push_reply(
        "\n\n".join(
            f"**Step {n}.** Read the next event, add its text to the answer, draw the new end."
            for n in range(1, 41)
        )
    )
    chat.send("Explain streaming step by step")
    desktop.wait_for_function(
        "() => document.querySelectorAll('li.msg-assistant .msg-text p').length >= 20"
    )
    desktop.locator("#conversation").hover()
    desktop.mouse.wheel(0, -200)
    expect(desktop.get_by_role("button", name="Jump to latest")).to_be_visible()
    save(desktop, "jump")
