"""A phone's screen and fingers, generated pictures, and code that stands out in both themes."""

import re

import pytest
from chatpage import ChatPage, requests_to
from playwright.sync_api import Browser, Page, expect

from aiodynaspark.testing import Emulator

pytestmark = pytest.mark.browser

WIDE_TABLE = (
    "| Library | Purpose | Streams | Notes on the behaviour | Licence |\n"
    "|---|---|---|---|---|\n"
    "| aiohttp | HTTP client and server | yes | one session per client, reused | Apache-2.0 |\n"
    "| pydantic | typed models | no | validation at the edge of the program | MIT |"
)
TOUCH_TARGET_PX = 44
# WCAG 1.4.11: a component's boundary needs 3:1 against what surrounds it.
BOUNDARY_CONTRAST = 3.0

_TARGETS_JS = """() => [...document.querySelectorAll(
    "button, select, a.action-button, .mode label")]
  .filter((node) => node.checkVisibility() && !node.closest(".markdown p"))
  .map((node) => {
    const box = node.getBoundingClientRect();
    return [node.getAttribute("aria-label") || node.textContent.trim() || node.id,
            Math.round(box.width), Math.round(box.height)];
  })"""


def test_a_wide_table_scrolls_sideways_on_a_phone(phone_page: Page, gateway: str) -> None:
    chat = ChatPage(phone_page, gateway)
    chat.open()
    chat.send(f"Compare:\n\n{WIDE_TABLE}")
    chat.wait_done()

    table = chat.last_answer.locator(".md-table")
    assert table.evaluate("node => node.scrollWidth > node.clientWidth")
    page_overflow = phone_page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert page_overflow <= 0
    # A header keeps its word whole ("Library", not "Librar|y").
    header = table.locator("th").first
    assert header.evaluate("node => node.getClientRects().length === 1 && node.offsetHeight < 40")
    # And the table can be scrolled from the keyboard.
    assert table.get_attribute("tabindex") == "0"
    # Its columns keep a readable width (not one word a line) ...
    narrowest = table.evaluate(
        """node => Math.min(...[...node.querySelectorAll("td")].map(
            (td) => td.offsetWidth / parseFloat(getComputedStyle(td).fontSize)))"""
    )
    assert narrowest >= 8
    # ... and a shadow at the edge with more says that it scrolls: covers that move with the
    # content over shadows that stay at the edges.
    attachment = table.evaluate("node => getComputedStyle(node).backgroundAttachment")
    assert attachment == "local, local, scroll, scroll"


# The room the selected model's name has in the picker, against what the name needs in the
# picker's own font; the native arrow takes the right padding's place, about 24 px.
_PICKER_ROOM_JS = """(node) => {
  const style = getComputedStyle(node);
  const context = document.createElement("canvas").getContext("2d");
  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const needed = context.measureText(node.selectedOptions[0].textContent).width;
  const room = node.clientWidth - parseFloat(style.paddingLeft) - 24;
  return [Math.round(needed), Math.round(room)];
}"""


def test_the_model_picker_shows_the_whole_model_name_on_a_phone(
    phone_page: Page, gateway: str
) -> None:
    chat = ChatPage(phone_page, gateway)
    chat.open()

    needed, room = chat.model_picker.evaluate(_PICKER_ROOM_JS)
    assert needed <= room, f"the model's name needs {needed} px, the picker has {room}"


def test_the_message_box_uses_16px_text_and_targets_are_44px_on_a_phone(
    phone_page: Page, gateway: str
) -> None:
    chat = ChatPage(phone_page, gateway)
    chat.open()
    chat.send("Some code:\n\n```\nls\n```")
    chat.wait_done()

    assert chat.prompt.evaluate("node => getComputedStyle(node).fontSize") == "16px"
    small = [
        target
        for target in phone_page.evaluate(_TARGETS_JS)
        if target[1] < TOUCH_TARGET_PX or target[2] < TOUCH_TARGET_PX
    ]
    assert small == []


def test_a_generated_picture_offers_download_full_size_and_regenerate(
    chat: ChatPage, emulator: Emulator
) -> None:
    chat.page.get_by_role("group", name="Mode").get_by_text("Image").click()
    chat.send("A lighthouse at dusk")
    expect(chat.last_answer.locator("img.generated-image")).to_be_visible()
    src = chat.last_answer.locator("img.generated-image").get_attribute("src") or ""

    download = chat.last_answer.get_by_role("link", name="Download")
    assert download.get_attribute("href") == src
    assert re.fullmatch(
        r"dynaspark-image\.(png|jpeg|gif|webp)", download.get_attribute("download") or ""
    )
    chat.last_answer.get_by_role("button", name="View full size").click()
    dialog = chat.page.locator("#picture-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("img")).to_have_attribute("src", src)
    chat.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    chat.last_answer.get_by_role("button", name="Regenerate").click()

    expect(chat.last_answer.locator("img.generated-image")).to_be_visible()
    assert len(requests_to(emulator, "/api/generate_image")) == 2


def luminance(rgb: str) -> float:
    channels = [int(part) / 255 for part in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_code_blocks_stand_out_in_both_themes(browser: Browser, gateway: str, theme: str) -> None:
    context = browser.new_context(color_scheme=theme)
    try:
        chat = ChatPage(context.new_page(), gateway)
        chat.open()
        chat.send("Code:\n\n```\nls -l\n```")
        chat.wait_done()
        colours = chat.page.evaluate(
            """() => ({
              page: getComputedStyle(document.body).backgroundColor,
              block: getComputedStyle(document.querySelector(".code-block")).backgroundColor,
              border: getComputedStyle(document.querySelector(".code-block")).borderTopColor,
            })"""
        )
    finally:
        context.close()
    edge = max(
        contrast(colours["block"], colours["page"]), contrast(colours["border"], colours["page"])
    )
    print(f"\n{theme}: code block edge contrast {edge:.2f}:1")
    assert edge >= BOUNDARY_CONTRAST


def test_the_conversations_open_on_the_narrowest_phone(browser: Browser, gateway: str) -> None:
    context = browser.new_context(
        viewport={"width": 320, "height": 568}, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(10_000)
    try:
        chat = ChatPage(context.new_page(), gateway)
        chat.open()
        chat.page.get_by_role("button", name="Conversations").click()

        expect(chat.page.get_by_role("navigation", name="Conversations")).to_be_in_viewport()
        overflow = chat.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
    finally:
        context.close()
