"""No lost words: answers written off screen, drafts kept with their conversation, the
long-conversation notice of the gateway, and the tokens of each answer."""

import json

import pytest
from chatpage import ChatPage
from playwright.sync_api import Browser, Route, expect

from aiodynaspark.testing import Emulator, answer_for

pytestmark = pytest.mark.browser

KEEP_STREAMING = "Keep streaming (send only the newest turns)"
# The gateway's answer to a conversation too long to stream: the web form's whole answer,
# after a keep-alive comment, and the usage chunk the page asked for.
_PIECE = {"choices": [{"index": 0, "delta": {"content": "All of it."}}]}
_USAGE = {"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13}}
_WHOLE_BODY = (
    f": keep-alive\n\ndata: {json.dumps(_PIECE)}\n\ndata: {json.dumps(_USAGE)}\n\ndata: [DONE]\n\n"
)


def test_an_answer_goes_on_off_screen_and_drafts_stay_with_their_conversation(
    chat: ChatPage, emulator: Emulator
) -> None:
    emulator.hold()
    question = "Keep writing while I look elsewhere"
    chat.send(question)
    expect(chat.last_answer).to_have_attribute("data-status", "streaming")
    chat.prompt.fill("a draft for the first")

    chat.new_chat()
    expect(chat.prompt).to_have_value("")
    expect(chat.send_button).to_be_visible()  # the new chat has nothing running
    chat.prompt.fill("a draft for the second")
    emulator.release()
    chat.conversation(question).click()

    chat.wait_done()
    expect(chat.last_answer_text).to_have_text(answer_for(chat.model, question))
    expect(chat.last_answer.locator(".badge")).to_have_count(0)  # not "Stopped"
    expect(chat.prompt).to_have_value("a draft for the first")
    chat.page.reload()
    chat.wait_ready()
    expect(chat.last_answer_text).to_have_text(answer_for(chat.model, question))
    expect(chat.prompt).to_have_value("a draft for the first")
    # A new chat's draft, before anything is sent, comes back after a reload too.
    chat.new_chat()
    chat.prompt.fill("a draft for a new chat")
    chat.page.reload()
    chat.wait_ready()
    expect(chat.messages).to_have_count(0)
    expect(chat.prompt).to_have_value("a draft for a new chat")


def test_tokens_of_an_answer_come_from_the_gateway_usage(chat: ChatPage) -> None:
    bodies: list[str] = []
    sent: list[dict[str, object]] = []

    def through(route: Route) -> None:
        # The gateway's own answer, read here on its way to the page.
        sent.append(route.request.post_data_json)
        response = route.fetch()
        bodies.append(response.text())
        route.fulfill(response=response, body=bodies[-1])

    chat.page.route("**/v1/chat/completions", through)
    chat.send("How many tokens is this?")
    chat.wait_done()

    events = [line.removeprefix("data: ") for line in bodies[0].splitlines()]
    [usage] = [json.loads(e)["usage"] for e in events if e.startswith("{") and '"usage":{' in e]
    expect(chat.last_answer.locator(".msg-tokens")).to_have_text(
        f"{usage['completion_tokens']} tokens"
    )
    assert sent[0]["stream_options"] == {"include_usage": True}


def test_a_long_conversation_says_answers_arrive_whole_and_can_keep_streaming(
    chat: ChatPage,
) -> None:
    asked: list[str | None] = []

    def gateway(route: Route) -> None:
        truncation = route.request.headers.get("x-aiodynaspark-truncation")
        asked.append(truncation)
        headers = {"content-type": "text/event-stream"}
        if truncation is None:
            headers["x-aiodynaspark-stream"] = "whole"
            headers["x-aiodynaspark-dropped-params"] = "temperature,seed"
        route.fulfill(status=200, headers=headers, body=_WHOLE_BODY)

    chat.page.route("**/v1/chat/completions", gateway)
    notice = chat.page.locator("#long-notice")
    chat.send("The hundredth turn of a long conversation")
    chat.wait_done()

    expect(notice).to_contain_text("Long conversation: answers now arrive whole")
    expect(notice).to_contain_text("temperature, seed")
    expect(chat.last_answer_text).to_have_text("All of it.")
    expect(chat.last_answer.locator(".msg-tokens")).to_have_text("4 tokens")
    notice.get_by_role("button", name=KEEP_STREAMING).click()
    expect(notice).to_be_hidden()
    chat.send("The next turn")
    chat.wait_done()
    # The choice is kept with the conversation: after a reload it still asks to truncate.
    chat.page.reload()
    chat.wait_ready()
    expect(notice).to_be_hidden()
    chat.send("After a reload")
    chat.wait_done()
    assert asked == [None, "auto", "auto"]
    # Another conversation has made no choice.
    chat.new_chat()
    chat.send("A new conversation")
    chat.wait_done()
    assert asked[-1] is None
    expect(notice).to_be_visible()


def test_two_tabs_on_one_conversation_keep_both_and_show_what_the_other_added(
    browser: Browser, gateway: str
) -> None:
    context = browser.new_context()
    context.set_default_timeout(10_000)
    try:
        first = ChatPage(context.new_page(), gateway)
        first.open()
        first.send("Asked in the first tab")
        first.wait_done()
        second = ChatPage(context.new_page(), gateway)
        second.open()
        expect(second.messages).to_have_count(2)

        first.send("Asked again in the first tab")
        second.send("Asked in the second tab")
        first.wait_done()
        second.wait_done()

        # Each tab shows what the other added, and a fresh tab shows all of it.
        for tab in (first, second):
            expect(tab.messages).to_have_count(6)
        fresh = ChatPage(context.new_page(), gateway)
        fresh.open()
        texts = fresh.page.locator("li.msg-user .msg-text").all_inner_texts()
        assert texts[0] == "Asked in the first tab"
        assert sorted(texts[1:]) == ["Asked again in the first tab", "Asked in the second tab"]
        expect(fresh.answers.locator(".msg-error")).to_have_count(0)
        expect(fresh.messages).to_have_count(6)
    finally:
        context.close()
