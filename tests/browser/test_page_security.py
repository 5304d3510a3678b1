"""Security of the chat page: untrusted output stays text, one origin only, the API key flow."""

from urllib.parse import urlsplit

import pytest
from chatpage import API_KEY, ChatPage, PageLog, make_png, requests_to
from playwright.sync_api import Page, Request, expect

from aiodynaspark.testing import Emulator, answer_for

pytestmark = pytest.mark.browser

HOSTILE_PROMPT = (
    "<script>window.__pwned = 'script'</script> "
    "<img src=x onerror=\"window.__pwned = 'img'\"> "
    "<svg onload=\"window.__pwned = 'svg'\"></svg> "
    "[click me](javascript:window.__pwned='link') "
    "<a href=\"javascript:window.__pwned='a'\">a</a>"
)


def test_model_output_with_html_runs_nothing(
    chat: ChatPage, emulator: Emulator, page_log: PageLog
) -> None:
    chat.send(HOSTILE_PROMPT)
    chat.wait_done()

    answer = chat.last_answer.locator(".msg-text")
    # The tags arrive as text, visible to the reader, not as elements.
    expect(answer).to_contain_text("<script>window.__pwned = 'script'</script>")
    expect(answer).to_contain_text("<img src=x onerror=")
    assert chat.page.evaluate("() => window.__pwned") is None
    for selector in ("script", "img", "svg", "iframe", "[onerror]", "[onload]"):
        expect(chat.page.locator(f"#messages .msg-text {selector}")).to_have_count(0)
    active = "#messages script, #messages [onerror], #messages [onload]"
    expect(chat.page.locator(active)).to_have_count(0)
    # A javascript: link keeps its label and loses its target.
    expect(answer.locator("a")).to_have_count(0)
    expect(answer).to_contain_text("click me")
    # Nothing asked for the "x" the <img> named.
    assert not [url for url in page_log.requests if urlsplit(url).path == "/x"]
    # And after a reload (the text comes back from localStorage) still nothing runs.
    chat.page.reload()
    expect(chat.last_answer_text).to_contain_text("<script>")
    assert chat.page.evaluate("() => window.__pwned") is None
    expect(chat.page.locator("#messages script, #messages .msg-text img")).to_have_count(0)


def test_page_contacts_no_other_origin(
    chat: ChatPage, emulator: Emulator, page_log: PageLog
) -> None:
    # Links and Markdown images to other origins in an answer must not be fetched.
    chat.send(
        "See https://example.com/page and ![a cat](https://example.com/cat.png) "
        "<img src=https://example.com/pixel.gif>"
    )
    chat.wait_done()
    expect(chat.last_answer.locator("a[href='https://example.com/cat.png']")).to_have_count(1)
    chat.attach(make_png(), "gradient.png", "image/png")
    chat.send("And this picture?")
    chat.wait_done()
    chat.last_answer.get_by_role("button", name="Read this answer aloud").click()
    expect(chat.last_answer.locator("audio")).to_have_count(1)
    chat.page.get_by_role("group", name="Mode").get_by_text("Image").click()
    chat.send("A red bicycle")
    expect(chat.last_answer.locator("img.generated-image")).to_be_visible()
    chat.wait_done()
    chat.page.reload()
    expect(chat.model_picker).to_be_enabled()

    origin = chat.url
    foreign = [
        url
        for url in page_log.requests
        if not (url.startswith(f"{origin}/") or url.startswith(("data:", f"blob:{origin}/")))
    ]
    assert foreign == []
    paths = {urlsplit(url).path for url in page_log.requests if url.startswith(origin)}
    assert {"/", "/ui/app.js", "/v1/models", "/v1/chat/completions"} <= paths
    assert {"/v1/images/generations", "/v1/audio/speech"} <= paths


def test_page_is_served_with_a_strict_content_security_policy(page: Page, gateway: str) -> None:
    response = page.goto(f"{gateway}/")

    assert response is not None
    headers = response.headers
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert headers["x-content-type-options"] == "nosniff"
    # The page itself needs no exception: no inline script, no style attribute.
    assert page.evaluate("() => document.querySelectorAll('script:not([src])').length") == 0
    assert page.evaluate("() => document.querySelectorAll('[style]').length") == 0


def _authorizations(requests: list[Request]) -> list[str | None]:
    return [r.headers.get("authorization") for r in requests if "/v1/" in r.url]


def test_api_key_is_asked_once_kept_for_the_tab_and_sent(
    page: Page, keyed_gateway: str, emulator: Emulator
) -> None:
    seen: list[Request] = []
    page.on("request", lambda request: seen.append(request))
    chat = ChatPage(page, keyed_gateway)
    page.goto(f"{keyed_gateway}/")

    dialog = page.get_by_role("dialog", name="API key needed")
    expect(dialog).to_be_visible()
    dialog.get_by_label("API key").fill(API_KEY)
    dialog.get_by_role("button", name="Use key").click()
    expect(dialog).to_be_hidden()
    expect(chat.model_picker).to_be_enabled()
    chat.send("Hello with a key")
    expect(chat.last_answer_text).to_have_text(answer_for(chat.model, "Hello with a key"))

    assert page.evaluate("() => sessionStorage.getItem('aiodynaspark.apiKey')") == API_KEY
    assert API_KEY not in page.evaluate("() => JSON.stringify(localStorage)")
    # The first call went without a key (and got 401); every later one carried it.
    auth = _authorizations(seen)
    assert auth[0] is None
    assert auth[1:] and set(auth[1:]) == {f"Bearer {API_KEY}"}
    # Kept for the tab: a reload does not ask again.
    page.reload()
    expect(chat.model_picker).to_be_enabled()
    expect(dialog).to_be_hidden()
    assert len(requests_to(emulator, "/api/generate_response")) == 1


def test_wrong_api_key_is_asked_again(page: Page, keyed_gateway: str) -> None:
    chat = ChatPage(page, keyed_gateway)
    page.goto(f"{keyed_gateway}/")
    dialog = page.get_by_role("dialog", name="API key needed")
    dialog.get_by_label("API key").fill("not-the-key")
    dialog.get_by_role("button", name="Use key").click()

    expect(dialog).to_contain_text("refused that API key")
    dialog.get_by_label("API key").fill(API_KEY)
    dialog.get_by_role("button", name="Use key").click()
    expect(dialog).to_be_hidden()
    expect(chat.model_picker).to_be_enabled()


def test_without_the_key_the_v1_routes_still_refuse(page: Page, keyed_gateway: str) -> None:
    page.goto(f"{keyed_gateway}/")
    dialog = page.get_by_role("dialog", name="API key needed")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.locator("#status")).to_contain_text("API key needed")

    assert page.request.get(f"{keyed_gateway}/v1/models").status == 401
    assert page.request.get(f"{keyed_gateway}/").status == 200
