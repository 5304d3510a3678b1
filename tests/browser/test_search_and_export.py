"""Finding a conversation (search over titles and text), and keeping a copy outside the
browser: every conversation as JSON, imported into another browser, one as Markdown."""

import json
from pathlib import Path

import pytest
from chatpage import ChatPage
from playwright.sync_api import Browser, FilePayload, expect

from aiodynaspark.testing import Emulator

pytestmark = pytest.mark.browser

LISBON = "Lisbon has seven hills, and the Café A Brasileira is on one of them."


def test_search_finds_titles_and_text_and_says_when_nothing_matches(
    chat: ChatPage, emulator: Emulator
) -> None:
    emulator.push_reply(LISBON)
    chat.send("Plan a weekend in Lisbon")
    chat.wait_done()
    chat.new_chat()
    chat.send("How do I stream in Python?")
    chat.wait_done()
    search = chat.page.get_by_role("searchbox", name="Search conversations")

    search.fill("python")
    expect(chat.conversations).to_have_count(1)
    expect(chat.conversations).to_contain_text("How do I stream in Python?")
    # A match in an answer's text, accents folded, shows the words around it.
    search.fill("cafe brasileira")
    expect(chat.conversations).to_have_count(1)
    expect(chat.conversations.locator(".conv-snippet")).to_contain_text("Café A Brasileira")
    search.fill("nothing says this")
    expect(chat.conversations).to_have_count(0)
    expect(chat.page.get_by_text("No conversation matches.")).to_be_visible()
    search.press("Escape")
    expect(chat.conversations).to_have_count(2)
    chat.prompt.focus()
    chat.page.keyboard.press("Control+K")
    expect(search).to_be_focused()


def test_export_as_json_imports_in_another_browser_and_one_exports_as_markdown(
    chat: ChatPage, emulator: Emulator, browser: Browser
) -> None:
    emulator.push_reply(LISBON)
    chat.send("Plan a weekend in Lisbon")
    chat.wait_done()
    chat.page.get_by_role("button", name="Settings").click()

    with chat.page.expect_download() as markdown:
        chat.page.get_by_role("button", name="Export this conversation (Markdown)").click()
    with chat.page.expect_download() as backup:
        chat.page.get_by_role("button", name="Export all (JSON)").click()

    text = Path(markdown.value.path()).read_text(encoding="utf-8")
    assert text.startswith("# Plan a weekend in Lisbon\n\n## You\n\nPlan a weekend in Lisbon")
    assert f"## Dynaspark ({chat.model})\n\n{LISBON}" in text
    data = Path(backup.value.path()).read_bytes()
    assert [c["title"] for c in json.loads(data)["conversations"]] == ["Plan a weekend in Lisbon"]
    context = browser.new_context()
    context.set_default_timeout(10_000)
    try:
        other = ChatPage(context.new_page(), chat.url)
        other.open()
        other.page.set_input_files(
            "#import-file", files=[FilePayload(name="x.json", mimeType="text/plain", buffer=b"{}")]
        )
        expect(other.notice).to_contain_text("is not an export of this page")
        backup_file = FilePayload(name="backup.json", mimeType="application/json", buffer=data)
        other.page.set_input_files("#import-file", files=[backup_file])
        expect(other.conversations).to_have_count(1)
        other.conversation("Plan a weekend in Lisbon").click()
        expect(other.last_answer_text).to_have_text(LISBON)
        # Imported twice, it is merged, not doubled.
        other.page.set_input_files("#import-file", files=[backup_file])
        expect(other.notice).to_contain_text("Imported 1 conversation")
        expect(other.conversations).to_have_count(1)
        expect(other.messages).to_have_count(2)
    finally:
        context.close()
