"""The page's edges: the phone drawer and Settings take focus and close on Esc, a skip link,
Copy without a secure context, errors a person can act on, and the shortcuts."""

import base64
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest
from chatpage import ChatPage, make_png, requests_to
from playwright.sync_api import Page, expect

from aiodynaspark.testing import Emulator, Fault, answer_for

pytestmark = pytest.mark.browser

REST_CHAT = "/api/generate_response"
# A conversation bound a few turns long: the first question and its answer fit, the second
# with them does not.
MAX_TEXT_CHARS = 120

# No secure context (the page opened over plain HTTP from another machine): no
# navigator.clipboard. What the older copy command copies is recorded from its event.
_INSECURE_JS = """
Object.defineProperty(window, "isSecureContext", { value: false });
Object.defineProperty(Navigator.prototype, "clipboard", { get: () => undefined });
window.__copied = [];
document.addEventListener("copy", () => {
  const box = document.activeElement;
  window.__copied.push(box && "value" in box
    ? box.value.slice(box.selectionStart, box.selectionEnd) : String(getSelection()));
});
"""


@pytest.fixture
def bounded_gateway(
    emulator: Emulator, gateway_in_front_of: Callable[..., AbstractContextManager[str]]
) -> Iterator[str]:
    with gateway_in_front_of(emulator.url, max_text_chars=MAX_TEXT_CHARS) as url:
        yield url


def test_the_phone_drawer_takes_focus_closes_on_esc_and_the_page_behind_is_inert(
    phone_page: Page, gateway: str
) -> None:
    chat = ChatPage(phone_page, gateway)
    chat.open()
    chat.send("A first question")
    chat.wait_done()
    toggle = phone_page.get_by_role("button", name="Conversations")

    toggle.click()

    nav = phone_page.get_by_role("navigation", name="Conversations")
    expect(nav.get_by_role("button", name="A first question", exact=True)).to_be_focused()
    assert phone_page.locator("#app").evaluate("node => node.inert")
    # Typing does not reach the message box behind the drawer.
    phone_page.keyboard.type("x")
    expect(chat.prompt).to_have_value("")
    phone_page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    assert not phone_page.locator("#app").evaluate("node => node.inert")


def test_settings_close_on_esc_and_a_skip_link_leads_to_the_message_box(chat: ChatPage) -> None:
    toggle = chat.page.get_by_role("button", name="Settings")
    toggle.click()
    expect(chat.page.locator("#system")).to_be_focused()

    chat.page.keyboard.press("Escape")

    expect(chat.page.locator("#settings")).to_be_hidden()
    expect(toggle).to_be_focused()
    # The skip link comes first in the order of Tab, shows when focused and leads to the
    # message box.
    first = chat.page.evaluate(
        "() => document.querySelector('a[href], button, input, select, textarea').id"
    )
    assert first == "skip-link"
    skip = chat.page.get_by_role("link", name="Skip to the message box")
    skip.focus()
    expect(skip).to_be_in_viewport()
    skip.press("Enter")
    expect(chat.prompt).to_be_focused()


def test_copy_works_without_a_secure_context_and_the_shortcuts_copy_too(
    page: Page, gateway: str, emulator: Emulator
) -> None:
    page.add_init_script(_INSECURE_JS)
    chat = ChatPage(page, gateway)
    chat.open()
    emulator.push_reply("Run it:\n\n```python\nprint('hi')\n```\n\nThat is all.")
    chat.send("How do I print?")
    chat.wait_done()

    chat.last_answer.get_by_role("button", name="Copy code").click()
    expect(chat.last_answer.locator(".code-copy")).to_contain_text("Copied")
    chat.last_answer.get_by_role("button", name="Copy: copy this answer").click()
    chat.prompt.focus()
    chat.page.keyboard.press("Control+Shift+;")

    page.wait_for_function("() => window.__copied.length === 3")
    chat.page.keyboard.press("Control+Shift+C")
    page.wait_for_function("() => window.__copied.length === 4")
    answer = "Run it:\n\n```python\nprint('hi')\n```\n\nThat is all."
    assert page.evaluate("() => window.__copied") == ["print('hi')", answer, "print('hi')", answer]
    # The message box kept the focus it had.
    expect(chat.prompt).to_be_focused()


def test_shortcuts_start_a_new_chat_and_focus_the_message_box(chat: ChatPage) -> None:
    chat.send("Before the shortcut")
    chat.wait_done()
    chat.last_answer.get_by_role("button", name="Copy: copy this answer").focus()

    chat.page.keyboard.press("Shift+Escape")
    expect(chat.prompt).to_be_focused()
    chat.page.keyboard.press("Control+Shift+O")

    expect(chat.messages).to_have_count(0)
    expect(chat.conversations).to_have_count(1)


def test_a_conversation_over_the_text_bound_offers_a_new_chat_or_only_the_newest_turns(
    page: Page, bounded_gateway: str, emulator: Emulator
) -> None:
    chat = ChatPage(page, bounded_gateway)
    chat.open()
    chat.send("A first question of some forty characters")
    chat.wait_done()

    chat.send("And a second one, as long as the first")

    error = chat.last_answer.locator(".msg-error")
    expect(error).to_contain_text("This conversation is too long for the gateway.")
    expect(error).to_contain_text("Start a new chat, or send only the newest turns")
    # No jargon in the words a person reads, and no Retry that can only fail again.
    expect(error.locator(".msg-error-text")).not_to_contain_text("max_text_chars")
    expect(error.get_by_role("button", name="Retry")).to_have_count(0)
    expect(error.get_by_role("button", name="Start a new chat")).to_be_visible()
    error.get_by_role("button", name="Send only the newest turns").click()

    chat.wait_done()
    expected = answer_for(chat.model, "And a second one, as long as the first")
    expect(chat.last_answer_text).to_have_text(expected)
    # The oldest turns were left out: the question went alone.
    last = requests_to(emulator, REST_CHAT)[-1]
    assert "first question" not in str(last.query)


def test_a_long_wait_reads_in_hours_and_a_slow_start_says_the_host_is_waking(
    chat: ChatPage, emulator: Emulator
) -> None:
    emulator.push(Fault.rate_limited(retry_after=3600))
    chat.send("Are you there?")
    expect(chat.last_answer.locator(".msg-error")).to_contain_text("wait about 1 hour")

    emulator.latency = 3
    chat.page.clock.install()
    chat.send("Wake up")
    expect(chat.last_answer).to_have_attribute("data-status", "pending")
    expect(chat.last_answer).not_to_contain_text("waking up")
    chat.page.clock.run_for(5_500)
    expect(chat.last_answer).to_contain_text("The service is waking up, this can take a minute.")
    chat.page.clock.resume()
    chat.stop_button.click()
    expect(chat.last_answer).to_have_attribute("data-status", "stopped")


# Drop a file the way a browser does: dragover, then drop, with a DataTransfer holding it.
_DROP_JS = """([selector, data, name]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type: "image/png" }));
  const target = document.querySelector(selector);
  const options = { dataTransfer: transfer, bubbles: true, cancelable: true };
  for (const type of ["dragenter", "dragover", "drop"]) {
    target.dispatchEvent(new DragEvent(type, options));
  }
}"""


def test_an_image_dropped_anywhere_on_the_conversation_is_attached(chat: ChatPage) -> None:
    png = base64.b64encode(make_png()).decode()

    chat.page.evaluate(_DROP_JS, ["#messages", png, "dropped.png"])

    expect(chat.page.locator("#attachment")).to_be_visible()
    expect(chat.page.locator("#attachment-name")).to_have_text("dropped.png")
