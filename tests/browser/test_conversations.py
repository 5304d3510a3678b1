"""Conversations: a list in a "Conversations" navigation, kept in IndexedDB across reloads."""

import pytest
from chatpage import ChatPage, requests_to
from playwright.sync_api import Page, expect

from aiodynaspark.testing import Emulator, answer_for

pytestmark = pytest.mark.browser

# The page saves a streaming answer at most once a second; this waits for one save.
STREAM_SAVE_WAIT_MS = 1500


def test_new_chat_keeps_the_old_conversation_in_the_list(chat: ChatPage) -> None:
    chat.send("First topic")
    chat.wait_done()

    chat.new_chat()

    expect(chat.messages).to_have_count(0)
    expect(chat.page.get_by_text("What can I help with?")).to_be_visible()
    chat.send("Second topic")
    chat.wait_done()
    expect(chat.conversations).to_have_count(2)
    expect(chat.conversations.first).to_contain_text("Second topic")
    expect(chat.conversation("Second topic")).to_have_attribute("aria-current", "page")
    chat.conversation("First topic").click()
    expect(chat.messages.first.locator(".msg-text")).to_have_text("First topic")
    expect(chat.last_answer_text).to_have_text(answer_for(chat.model, "First topic"))


def test_conversations_and_the_open_one_survive_a_reload(chat: ChatPage) -> None:
    chat.send("Kept one")
    chat.wait_done()
    chat.new_chat()
    chat.send("Kept two")
    chat.wait_done()
    chat.conversation("Kept one").click()

    chat.page.reload()
    chat.wait_ready()

    expect(chat.conversations).to_have_count(2)
    expect(chat.conversation("Kept one")).to_have_attribute("aria-current", "page")
    expect(chat.last_answer_text).to_have_text(answer_for(chat.model, "Kept one"))


def test_title_comes_from_the_first_question_shortened(chat: ChatPage) -> None:
    chat.send("A very long first question " * 5 + "\nwith a second line")
    chat.wait_done()

    title = chat.conversations.first.locator(".conv-title").inner_text()
    assert title.startswith("A very long first question")
    assert title.endswith("…")
    assert len(title) <= 60


def test_rename_keeps_the_new_name_across_a_reload(chat: ChatPage) -> None:
    chat.send("Old name")
    chat.wait_done()

    chat.page.get_by_role("button", name="Rename “Old name”").click()
    box = chat.page.get_by_role("textbox", name="New name of the conversation")
    box.fill("Trip plans")
    box.press("Enter")

    expect(chat.conversation("Trip plans")).to_be_visible()
    chat.send("A second question does not change a chosen name")
    chat.wait_done()
    chat.page.reload()
    chat.wait_ready()
    expect(chat.conversation("Trip plans")).to_be_visible()


def test_delete_can_be_undone(chat: ChatPage) -> None:
    chat.send("Keep me")
    chat.wait_done()

    chat.page.get_by_role("button", name="Delete “Keep me”").click()

    expect(chat.conversations).to_have_count(0)
    expect(chat.messages).to_have_count(0)
    chat.page.get_by_role("button", name="Undo").click()
    expect(chat.conversation("Keep me")).to_have_attribute("aria-current", "page")
    expect(chat.messages).to_have_count(2)
    chat.wait_saved()
    chat.page.reload()
    chat.wait_ready()
    expect(chat.conversations).to_have_count(1)


def test_a_deleted_conversation_stays_deleted_after_a_reload(chat: ChatPage) -> None:
    chat.send("Delete me")
    chat.wait_done()
    chat.new_chat()
    chat.send("Keep this one")
    chat.wait_done()

    chat.page.get_by_role("button", name="Delete “Delete me”").click()
    # The page says it is writing until the deletion is committed; a reload waits for that.
    expect(chat.conversations).to_have_count(1)
    chat.wait_saved()
    chat.page.reload()
    chat.wait_ready()

    expect(chat.conversations).to_have_count(1)
    expect(chat.conversations.first).to_contain_text("Keep this one")


# Holds the page's store in a read-write transaction of the test's own, kept open by one small
# request after another until released: IndexedDB runs overlapping read-write transactions in
# turn, so a write of the page waits behind it for as long as the test chooses.
HOLD_STORE = """() => new Promise((held, failed) => {
  const opening = indexedDB.open("aiodynaspark-chat");
  opening.onerror = () => failed(opening.error);
  opening.onsuccess = () => {
    const transaction = opening.result.transaction("conversations", "readwrite");
    const store = transaction.objectStore("conversations");
    window.releaseStore = false;
    const again = () => { if (!window.releaseStore) store.count().onsuccess = again; };
    again();
    held();
  };
})"""


def test_the_page_says_it_is_saving_until_a_deletion_is_stored(chat: ChatPage) -> None:
    chat.send("Delete me")
    chat.wait_done()
    chat.page.evaluate(HOLD_STORE)

    chat.page.get_by_role("button", name="Delete “Delete me”").click()

    expect(chat.conversations).to_have_count(0)
    expect(chat.page.locator("body[data-saving]")).to_have_count(1)
    chat.page.evaluate("() => { window.releaseStore = true; }")
    chat.wait_saved()
    chat.page.reload()
    chat.wait_ready()
    expect(chat.conversations).to_have_count(0)


def test_reload_mid_answer_shows_what_arrived_with_continue_and_regenerate(
    chat: ChatPage, emulator: Emulator
) -> None:
    emulator.hold()
    chat.send("Tell me a long story")
    first_piece = answer_for(chat.model, "Tell me a long story").split(" ")[0]
    expect(chat.last_answer_text).to_have_text(first_piece)
    chat.page.wait_for_timeout(STREAM_SAVE_WAIT_MS)

    chat.page.reload()
    chat.wait_ready()
    emulator.release()

    expect(chat.last_answer).to_have_attribute("data-status", "stopped")
    expect(chat.last_answer_text).to_have_text(first_piece)
    expect(chat.last_answer.get_by_role("button", name="Regenerate")).to_be_visible()
    chat.last_answer.get_by_role("button", name="Continue").click()
    chat.wait_done()
    expect(chat.last_answer_text).to_contain_text(first_piece)
    assert len(chat.last_answer_text.inner_text()) > len(first_piece)
    assert len(requests_to(emulator, "/api/generate_response")) == 2


def test_conversations_are_a_drawer_on_a_phone(phone_page: Page, gateway: str) -> None:
    chat = ChatPage(phone_page, gateway)
    chat.open()
    chat.send("From a phone")
    chat.wait_done()
    nav = phone_page.get_by_role("navigation", name="Conversations")
    toggle = phone_page.get_by_role("button", name="Conversations")
    expect(nav).to_be_hidden()

    toggle.click()

    expect(nav).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    chat.conversation("From a phone").click()
    expect(nav).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
