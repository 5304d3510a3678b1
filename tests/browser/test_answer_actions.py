"""What can be done to an answer: regenerate, edit and resend, continue, copy a code block."""

import pytest
from chatpage import ChatPage, requests_to
from playwright.sync_api import Browser, expect

from aiodynaspark.testing import Emulator, answer_for

pytestmark = pytest.mark.browser

REST_CHAT = "/api/generate_response"


def test_regenerate_writes_the_last_answer_again_and_keeps_the_first_as_a_version(
    chat: ChatPage, emulator: Emulator
) -> None:
    emulator.push_reply("The first take.", "The second take.")
    chat.send("Once more")
    chat.wait_done()

    chat.last_answer.get_by_role("button", name="Regenerate").click()

    chat.wait_done()
    expect(chat.answers).to_have_count(1)
    expect(chat.last_answer_text).to_have_text("The second take.")
    assert len(requests_to(emulator, REST_CHAT)) == 2
    versions = chat.last_answer.get_by_role("group", name="Versions of this answer")
    expect(versions).to_contain_text("2/2")
    versions.get_by_role("button", name="Previous version").click()
    expect(chat.last_answer_text).to_have_text("The first take.")
    expect(versions).to_contain_text("1/2")
    # Saved with the conversation: a reload shows the version that was on screen.
    chat.wait_saved()
    chat.page.reload()
    chat.wait_ready()
    expect(chat.last_answer_text).to_have_text("The first take.")
    versions.get_by_role("button", name="Next version").click()
    expect(chat.last_answer_text).to_have_text("The second take.")


def test_only_the_last_answer_offers_regenerate(chat: ChatPage) -> None:
    chat.send("First")
    chat.wait_done()
    chat.send("Second")
    chat.wait_done()

    expect(chat.answers.first.get_by_role("button", name="Regenerate")).to_have_count(0)
    expect(chat.last_answer.get_by_role("button", name="Regenerate")).to_have_count(1)


def test_an_edited_question_is_sent_again_and_what_followed_stays_a_version(
    chat: ChatPage, emulator: Emulator
) -> None:
    chat.send("Frist question")
    chat.wait_done()
    chat.send("Second question")
    chat.wait_done()

    chat.messages.first.get_by_role("button", name="Edit").click()
    box = chat.page.get_by_role("textbox", name="Edit your question")
    box.fill("First question")
    box.press("Enter")

    chat.wait_done()
    expect(chat.messages).to_have_count(2)
    expect(chat.messages.first.locator(".msg-text")).to_have_text("First question")
    expect(chat.last_answer_text).to_have_text(answer_for(chat.model, "First question"))
    assert requests_to(emulator, REST_CHAT)[-1].query["user_input"] == "First question"
    # The question before the edit, and all that followed it, are one click away.
    versions = chat.messages.first.get_by_role("group", name="Versions of this question")
    expect(versions).to_contain_text("2/2")
    versions.get_by_role("button", name="Previous version").click()
    expect(chat.messages).to_have_count(4)
    expect(chat.messages.first.locator(".msg-text")).to_have_text("Frist question")
    expect(chat.last_answer_text).to_contain_text("User: Second question")
    chat.wait_saved()
    chat.page.reload()
    chat.wait_ready()
    expect(chat.messages).to_have_count(4)
    versions.get_by_role("button", name="Next version").click()
    expect(chat.messages).to_have_count(2)
    expect(chat.last_answer_text).to_have_text(answer_for(chat.model, "First question"))


def test_continue_after_stop_adds_to_the_answer(chat: ChatPage, emulator: Emulator) -> None:
    emulator.hold()
    chat.send("Write a poem")
    first_piece = answer_for(chat.model, "Write a poem").split(" ")[0]
    expect(chat.last_answer_text).to_have_text(first_piece)
    chat.stop_button.click()
    expect(chat.last_answer).to_have_attribute("data-status", "stopped")
    emulator.release()

    chat.last_answer.get_by_role("button", name="Continue").click()

    chat.wait_done()
    text = chat.last_answer_text.inner_text()
    assert text.startswith(first_piece)
    assert len(text) > len(first_piece)
    # The model is shown what it wrote, and asked to go on.
    sent = requests_to(emulator, REST_CHAT)[-1].query["user_input"]
    assert first_piece in sent
    assert "Continue" in sent


def test_copy_on_a_code_block_copies_it_and_says_so(
    browser: Browser, gateway: str, emulator: Emulator
) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    try:
        chat = ChatPage(context.new_page(), gateway)
        chat.open()
        chat.send("Show code:\n\n```python\nprint('hi')\n```\n\nand more:\n\n```\nls -l\n```")
        chat.wait_done()
        blocks = chat.last_answer.locator(".code-block")
        expect(blocks).to_have_count(2)

        button = blocks.first.get_by_role("button", name="Copy code")
        button.click()

        expect(button).to_have_text("Copied")
        assert chat.page.evaluate("() => navigator.clipboard.readText()") == "print('hi')"
        expect(blocks.last.get_by_role("button", name="Copy code")).to_have_text("Copy")
        expect(button).to_have_text("Copy", timeout=5000)
    finally:
        context.close()
