"""The chat page in a real Chromium, against the gateway under uvicorn in front of the emulator."""

import base64

import pytest
from chatpage import GIF_BYTES, SCREENSHOT_DIR, ChatPage, make_png, requests_to
from playwright.sync_api import Page, expect

from aiodynaspark.testing import Emulator, Fault, answer_for

pytestmark = pytest.mark.browser

REST_CHAT = "/api/generate_response"
WEB_FORM = "/generate_response"


def test_answer_streams_in_piece_by_piece(chat: ChatPage, emulator: Emulator) -> None:
    emulator.hold()
    prompt = "Tell me how streams work"
    expected = answer_for(chat.model, prompt)
    first_piece = expected.split(" ")[0]

    chat.send(prompt)

    # The emulator sent one event and waits: the page already shows it.
    expect(chat.last_answer).to_have_attribute("data-status", "streaming")
    expect(chat.last_answer_text).to_have_text(first_piece)
    expect(chat.stop_button).to_be_visible()
    emulator.release()
    expect(chat.last_answer_text).to_have_text(expected)
    chat.wait_done()
    expect(chat.stop_button).to_be_hidden()
    [request] = requests_to(emulator, REST_CHAT)
    assert request.query["stream"] == "true"


def test_attached_image_reaches_the_emulator_as_the_image(
    chat: ChatPage, emulator: Emulator
) -> None:
    png = make_png()
    chat.attach(png, "gradient.png", "image/png")
    expect(chat.page.locator("#attachment-thumb")).to_be_visible()
    expect(chat.page.locator("#attachment-name")).to_have_text("gradient.png")

    chat.send("What is in this picture?")

    expect(chat.last_answer_text).to_have_text(
        answer_for(chat.model, "What is in this picture?", png)
    )
    [request] = requests_to(emulator, WEB_FORM)
    assert request.file is not None
    assert request.file.data == png
    assert request.file.content_type == "image/png"
    # The question keeps its picture in the conversation; the composer is empty again.
    expect(chat.messages.first.locator("img.msg-image")).to_have_attribute(
        "src", "data:image/png;base64," + base64.b64encode(png).decode()
    )
    expect(chat.page.locator("#attachment")).to_be_hidden()


def test_pasted_image_is_sent_and_a_second_image_is_refused(
    chat: ChatPage, emulator: Emulator
) -> None:
    png = make_png()
    chat.paste(png, "pasted.png", "image/png")
    expect(chat.page.locator("#attachment-thumb")).to_be_visible()

    chat.attach(GIF_BYTES, "second.gif", "image/gif")
    expect(chat.notice).to_be_visible()
    expect(chat.notice).to_contain_text("Only one image")
    chat.paste(GIF_BYTES, "third.gif", "image/gif")
    expect(chat.notice).to_contain_text("Only one image")
    chat.send("Describe it")

    expect(chat.last_answer_text).to_have_text(answer_for(chat.model, "Describe it", png))
    [request] = requests_to(emulator, WEB_FORM)
    assert request.file is not None
    assert request.file.data == png


def test_a_file_that_is_not_an_image_is_refused_in_the_page(
    chat: ChatPage, emulator: Emulator
) -> None:
    chat.attach(b"just some text, not a picture", "notes.png", "image/png")

    expect(chat.notice).to_contain_text("is not a PNG, JPEG, GIF or WEBP image")
    expect(chat.page.locator("#attachment")).to_be_hidden()
    assert emulator.requests == []


def test_model_picker_choice_reaches_the_emulator(chat: ChatPage, emulator: Emulator) -> None:
    chat.model_picker.select_option("gemini-2.0-flash")

    chat.send("Which model are you?")

    expect(chat.last_answer_text).to_have_text(
        answer_for("gemini-2.0-flash", "Which model are you?")
    )
    [request] = requests_to(emulator, REST_CHAT)
    assert request.query["model"] == "gemini-2.0-flash"


def test_system_prompt_reaches_the_emulator(chat: ChatPage, emulator: Emulator) -> None:
    chat.page.get_by_role("button", name="Settings").click()
    chat.page.get_by_label("System prompt").fill("Answer like a pirate.")

    chat.send("Hello")

    chat.wait_done()
    [request] = requests_to(emulator, REST_CHAT)
    sent = request.query.get("system", "") + request.query["user_input"]
    assert "Answer like a pirate." in sent


def test_stop_aborts_the_stream(chat: ChatPage, emulator: Emulator) -> None:
    emulator.hold()
    prompt = "Count slowly to ten"
    first_piece = answer_for(chat.model, prompt).split(" ")[0]
    chat.send(prompt)
    expect(chat.last_answer_text).to_have_text(first_piece)

    chat.stop_button.click()

    expect(chat.last_answer).to_have_attribute("data-status", "stopped")
    expect(chat.last_answer.locator(".badge")).to_have_text("Stopped")
    expect(chat.status).to_have_text("Stopped.")
    expect(chat.send_button).to_be_visible()
    emulator.release()
    # Whatever the emulator sends now goes nowhere: the page keeps the first piece only.
    chat.page.wait_for_timeout(500)
    expect(chat.last_answer_text).to_have_text(first_piece)


def test_escape_stops_the_answer(chat: ChatPage, emulator: Emulator) -> None:
    emulator.hold()
    chat.send("Talk for a while")
    expect(chat.last_answer).to_have_attribute("data-status", "streaming")

    chat.prompt.press("Escape")

    expect(chat.last_answer).to_have_attribute("data-status", "stopped")
    emulator.release()


def test_rate_limit_counts_down_and_retries_once_by_itself(
    chat: ChatPage, emulator: Emulator
) -> None:
    emulator.push(Fault.rate_limited(retry_after=2))

    chat.send("Are you there?")

    error = chat.last_answer.locator(".msg-error")
    expect(error).to_contain_text("Too many requests.")
    expect(error.locator(".msg-error-countdown")).to_contain_text("Retrying in")
    expect(chat.last_answer_text).to_have_text(answer_for(chat.model, "Are you there?"))
    expect(error).to_have_count(0)
    assert len(requests_to(emulator, REST_CHAT)) == 2


def test_a_second_rate_limit_is_left_to_the_person(chat: ChatPage, emulator: Emulator) -> None:
    emulator.push(Fault.rate_limited(retry_after=1), Fault.rate_limited(retry_after=1))

    chat.send("Are you there?")

    error = chat.last_answer.locator(".msg-error")
    retry = error.get_by_role("button", name="Retry")
    expect(retry).to_be_visible()
    expect(error).to_contain_text("wait 1 second")
    chat.page.wait_for_timeout(1500)
    assert len(requests_to(emulator, REST_CHAT)) == 2
    retry.click()
    expect(chat.last_answer_text).to_have_text(answer_for(chat.model, "Are you there?"))


def test_an_error_is_said_once_in_plain_words_with_the_detail_folded(
    chat: ChatPage, emulator: Emulator
) -> None:
    emulator.push(Fault.status(503))

    chat.send("Hello?")

    error = chat.last_answer.locator(".msg-error")
    expect(error).to_contain_text("Dynaspark is not answering.")
    expect(error).to_contain_text("waking up")
    expect(error.get_by_role("button", name="Retry")).to_be_visible()
    # The status code and the gateway's words are there, folded away.
    details = error.locator("details")
    expect(details).not_to_have_attribute("open", "")
    expect(details.locator("code")).to_be_hidden()
    expect(details.locator("code")).to_contain_text("HTTP 503")
    # Said once: the error box is the only visible place, and the status line stays quiet.
    expect(chat.page.get_by_text("Dynaspark is not answering.")).to_have_count(1)
    expect(chat.status).not_to_contain_text("not answering")


def test_refused_request_shows_the_gateway_message(chat: ChatPage, emulator: Emulator) -> None:
    emulator.push(Fault.status(400, "temperature must be 0-3"))

    chat.send("Hello?")

    error = chat.last_answer.locator(".msg-error")
    expect(error).to_contain_text("The request was refused.")
    expect(error).to_contain_text("temperature must be 0-3")


def test_reload_keeps_the_conversation(chat: ChatPage, emulator: Emulator) -> None:
    png = make_png()
    chat.attach(png, "gradient.png", "image/png")
    chat.send("Remember this")
    chat.wait_done()
    chat.model_picker.select_option("gemini-2.0-flash-lite")

    chat.page.reload()
    chat.wait_ready()

    expect(chat.messages).to_have_count(2)
    expect(chat.messages.first).to_contain_text("Remember this")
    expect(chat.messages.first.locator("img.msg-image")).to_be_visible()
    expect(chat.last_answer_text).to_have_text(answer_for("gemini-1.5-flash", "Remember this", png))
    expect(chat.model_picker).to_have_value("gemini-2.0-flash-lite")


def test_history_is_sent_with_the_next_question(chat: ChatPage, emulator: Emulator) -> None:
    chat.send("First question")
    chat.wait_done()
    chat.send("Second question")
    chat.wait_done()

    last = requests_to(emulator, REST_CHAT)[-1]
    assert "First question" in last.query["user_input"]
    assert "Second question" in last.query["user_input"]


def test_enter_sends_and_shift_enter_adds_a_line(chat: ChatPage, emulator: Emulator) -> None:
    chat.prompt.click()
    chat.page.keyboard.type("first line")
    chat.page.keyboard.press("Shift+Enter")
    chat.page.keyboard.type("second line")
    assert emulator.requests == []
    expect(chat.prompt).to_have_value("first line\nsecond line")

    chat.page.keyboard.press("Enter")

    chat.wait_done()
    [request] = requests_to(emulator, REST_CHAT)
    assert request.query["user_input"] == "first line\nsecond line"
    expect(chat.prompt).to_have_value("")
    expect(chat.prompt).to_be_focused()


def test_image_mode_shows_the_generated_picture(chat: ChatPage, emulator: Emulator) -> None:
    chat.page.get_by_role("group", name="Mode").get_by_text("Image").click()
    expect(chat.model_picker).to_have_value("flux")

    chat.send("A lighthouse at dusk")

    picture = chat.last_answer.locator("img.generated-image")
    expect(picture).to_be_visible()
    assert (picture.get_attribute("src") or "").startswith("data:image/")
    # The picture really decoded, it is not a broken image icon.
    assert picture.evaluate("img => img.complete && img.naturalWidth > 0")
    [request] = requests_to(emulator, "/api/generate_image")
    assert request.query["user_input"] == "A lighthouse at dusk"
    assert request.query["model"] == "flux"


def test_play_button_fetches_the_answer_as_speech(chat: ChatPage, emulator: Emulator) -> None:
    chat.send("Say something")
    chat.wait_done()

    chat.last_answer.get_by_role("button", name="Read this answer aloud").click()

    audio = chat.last_answer.locator("audio")
    expect(audio).to_have_count(1)
    assert (audio.get_attribute("src") or "").startswith("blob:")
    speech = [r for r in requests_to(emulator, REST_CHAT) if r.query.get("model") == "openai-audio"]
    assert [r.query["user_input"] for r in speech] == [answer_for(chat.model, "Say something")]


def test_controls_are_labelled_and_focus_is_visible(chat: ChatPage) -> None:
    unlabelled = chat.page.evaluate(
        """() => [...document.querySelectorAll("button, select, textarea, input")]
            .filter((control) => !control.closest("[hidden]") && !control.closest("dialog"))
            .filter((control) => !(control.labels?.length || control.getAttribute("aria-label")
                || control.textContent.trim()))
            .map((control) => control.outerHTML)"""
    )
    assert unlabelled == []
    expect(chat.page.locator("[aria-live=polite]")).to_have_count(1)

    chat.page.get_by_role("button", name="New chat").focus()
    chat.page.keyboard.press("Shift+Tab")
    chat.page.keyboard.press("Tab")
    outline = chat.page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")


def test_phone_layout_fits_the_screen(phone_page: Page, gateway: str) -> None:
    chat = ChatPage(phone_page, gateway)
    chat.open()
    chat.send("A question from a phone")
    chat.wait_done()

    overflow = phone_page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    for control in (chat.prompt, chat.send_button, chat.model_picker):
        expect(control).to_be_in_viewport()
    expect(phone_page.get_by_role("button", name="New chat")).to_be_in_viewport()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    phone_page.screenshot(path=SCREENSHOT_DIR / "chat-phone.png")


def test_screenshot_after_a_streamed_answer_with_an_image(
    chat: ChatPage, emulator: Emulator
) -> None:
    # One turn: the emulator echoes the prompt, so a longer history would echo it all.
    prompt = (
        "Describe this picture:\n\n- the **main colours**\n- the *mood*, in one word\n\n"
        "```python\nfrom aiodynaspark import AsyncClient\n```\n\nThanks!"
    )
    png = make_png(160, 120)
    chat.attach(png, "gradient.png", "image/png")
    chat.send(prompt)
    chat.wait_done()
    expect(chat.last_answer_text).to_contain_text(f"[image png {len(png)} bytes]")
    expect(chat.last_answer.locator("strong")).to_have_text("main colours")
    expect(chat.last_answer.locator("pre code")).to_have_text(
        "from aiodynaspark import AsyncClient"
    )
    expect(chat.last_answer.locator("li")).to_have_count(2)
    expect(chat.messages.first.locator("img.msg-image")).to_be_visible()
    chat.prompt.focus()
    chat.page.set_viewport_size({"width": 1100, "height": 960})
    chat.page.evaluate("() => document.querySelector('#conversation').scrollTo(0, 1e6)")

    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOT_DIR / "chat.png"
    chat.page.screenshot(path=shot)
    assert shot.stat().st_size > 10_000
