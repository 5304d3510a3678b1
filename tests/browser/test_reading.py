"""Reading an answer: following it while it streams, letting go, and every script's direction."""

import pytest
from chatpage import ChatPage
from playwright.sync_api import expect

from aiodynaspark.testing import Emulator

pytestmark = pytest.mark.browser

# A streamed answer long enough to overflow the screen: the emulator echoes the prompt,
# one word per event, STREAM_DELAY seconds apart (about 11 s in all).
PARAGRAPHS = 40
STREAM_DELAY = 0.03
LONG_PROMPT = "\n\n".join(f"Paragraph {n} of a long answer, one line." for n in range(PARAGRAPHS))

_DISTANCE_JS = """() => {
  const s = document.querySelector("#conversation");
  return s.scrollHeight - s.scrollTop - s.clientHeight;
}"""


def start_long_answer(chat: ChatPage, emulator: Emulator) -> None:
    emulator.stream_delay = STREAM_DELAY
    chat.send(LONG_PROMPT)
    # Wait until the answer is taller than the screen, and the page is following it.
    chat.page.wait_for_function(
        "() => document.querySelectorAll('li.msg-assistant .msg-text p').length >= 12"
    )
    assert chat.page.evaluate(_DISTANCE_JS) <= 8


def grows_without_following(chat: ChatPage, before: int) -> None:
    expect(chat.last_answer.locator(".msg-text p")).not_to_have_count(before)
    chat.page.wait_for_timeout(300)
    assert chat.page.evaluate(_DISTANCE_JS) > 8


@pytest.mark.parametrize("how", ["wheel", "keyboard", "touch"])
def test_any_upward_scroll_stops_following_the_answer(
    chat: ChatPage, emulator: Emulator, how: str
) -> None:
    start_long_answer(chat, emulator)
    conversation = chat.page.locator("#conversation")

    if how == "wheel":
        conversation.hover()
        chat.page.mouse.wheel(0, -40)  # one small notch, well under a screen
    elif how == "keyboard":
        conversation.focus()
        chat.page.keyboard.press("ArrowUp")
    else:
        conversation.dispatch_event(
            "touchstart", {"touches": [{"identifier": 1, "clientX": 200, "clientY": 300}]}
        )
        conversation.dispatch_event(
            "touchmove", {"touches": [{"identifier": 1, "clientX": 200, "clientY": 340}]}
        )
        conversation.evaluate("s => s.scrollBy(0, -40)")

    count = chat.last_answer.locator(".msg-text p").count()
    grows_without_following(chat, count)
    expect(chat.page.get_by_role("button", name="Jump to latest")).to_be_visible()


def test_jump_to_latest_follows_the_answer_again(chat: ChatPage, emulator: Emulator) -> None:
    start_long_answer(chat, emulator)
    chat.page.locator("#conversation").hover()
    chat.page.mouse.wheel(0, -40)
    jump = chat.page.get_by_role("button", name="Jump to latest")

    jump.click()

    expect(jump).to_be_hidden()
    count = chat.last_answer.locator(".msg-text p").count()
    expect(chat.last_answer.locator(".msg-text p")).not_to_have_count(count)
    assert chat.page.evaluate(_DISTANCE_JS) <= 8
    expect(chat.last_answer).to_have_attribute("data-status", "done", timeout=30_000)
    assert chat.page.evaluate(_DISTANCE_JS) <= 8


def test_arabic_and_hebrew_answers_are_laid_out_right_to_left(chat: ChatPage) -> None:
    arabic = "مرحبا بالعالم، هذه فقرة باللغة العربية."
    hebrew = "שלום עולם, זו פסקה בעברית."
    chat.send(f"Reply in three scripts:\n\n{arabic}\n\n- {hebrew}\n\nAnd English again.")
    chat.wait_done()

    def direction(locator_text: str) -> str:
        block = chat.last_answer.locator(".msg-text > *", has_text=locator_text)
        return str(block.evaluate("node => getComputedStyle(node).direction"))

    assert direction(arabic) == "rtl"
    assert direction(hebrew) == "rtl"
    assert direction("And English again.") == "ltr"
    assert direction("Reply in three scripts") == "ltr"


def test_a_hebrew_question_and_the_message_box_follow_their_script(chat: ChatPage) -> None:
    chat.send("מה השעה?")
    chat.wait_done()
    question = chat.messages.first.locator(".msg-text")
    assert question.evaluate("node => getComputedStyle(node).direction") == "rtl"

    chat.prompt.fill("كيف حالك؟")
    assert chat.prompt.evaluate("node => node.matches(':dir(rtl)')")
    chat.prompt.fill("How are you?")
    assert chat.prompt.evaluate("node => node.matches(':dir(ltr)')")
