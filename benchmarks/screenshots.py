"""Pictures of the chat page's states for ``docs/chat-page.md``: ``docs/images/chat-*.png``.

    python -m benchmarks.screenshots                 # every picture
    python -m benchmarks.screenshots versions search # only these (names without "chat-")

Each picture is taken in headless Chromium (``$AIODYNASPARK_CHROMIUM``, else ``chromium``)
from the page served by a gateway under uvicorn in front of the emulator. The pictures show
a model's answers, queued in the emulator with ``push_reply``, rather than the emulator's own
answer, which repeats the question. Nothing here is a test: the test suite never writes a
tracked file. Look at each picture before committing it.
"""

import argparse
import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ._common import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

    from aiodynaspark.testing import Emulator

IMAGES = Path(ROOT) / "docs" / "images"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 15_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]

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
LISBON_AGAIN = (
    "Two days, by the river:\n\n"
    "1. *Saturday*: the tram 28 through Graça, then the Time Out market.\n"
    "2. *Sunday*: a ferry to Cacilhas for lunch, back for the view from Santa Catarina."
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
CODE_AND_MATH = (
    "The sum of the first $n$ numbers is\n\n"
    "$$\n\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}\n$$\n\n"
    "and in Python, checked against the formula:\n\n"
    "```python\ndef total(n: int) -> int:\n"
    '    """1 + 2 + ... + n, the long way."""\n'
    "    result = 0\n    for i in range(1, n + 1):\n        result += i\n"
    "    return result\n\n\nassert total(100) == 100 * 101 // 2  # 5050\n```\n\n"
    "For $n = 100$ that is $\\frac{100 \\cdot 101}{2} = 5050$."
)
WHOLE_ANSWER = (
    "Here is where we got to: the **itinerary** stays as planned, and the hotel near "
    "Rossio is booked for both nights."
)


def save(page: "Page", name: str) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=IMAGES / f"chat-{name}.png")
    print(f"wrote docs/images/chat-{name}.png", flush=True)


class Shots:
    """The page of one gateway, and the pictures taken of it."""

    def __init__(self, browser: "Browser", url: str, emulator: "Emulator") -> None:
        self.browser = browser
        self.url = url
        self.emulator = emulator

    def open(self, **options: object) -> "Page":
        from playwright.sync_api import expect

        options.setdefault("viewport", DESKTOP)
        options.setdefault("color_scheme", "light")
        context = self.browser.new_context(**options)  # type: ignore[arg-type]
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        page.goto(f"{self.url}/")
        expect(page.locator("body.is-ready")).to_be_attached()
        expect(page.locator("#model")).to_be_enabled()
        return page

    def ask(self, page: "Page", question: str, answer: str | None = None) -> None:
        """Send ``question``; wait until its answer (``answer`` when given) is in and saved."""
        from playwright.sync_api import expect

        if answer is not None:
            self.emulator.push_reply(answer)
        page.locator("#prompt").fill(question)
        page.locator("#prompt").press("Enter")
        expect(page.locator("li.msg-assistant").last).to_have_attribute("data-status", "done")
        expect(page.locator("body[data-saving]")).to_have_count(0)
        # Highlighting and math come a moment after the text.
        expect(page.locator("pre > code[class*='language-python']:not(.hljs)")).to_have_count(0)

    # ------------------------------------------------------------ the pictures

    def page(self) -> None:
        from chatpage import make_png  # type: ignore[import-not-found]
        from playwright.sync_api import FilePayload, expect

        page = self.open(viewport={"width": 1100, "height": 960})
        png = FilePayload(name="gradient.png", mimeType="image/png", buffer=make_png(160, 120))
        page.set_input_files("#file-input", files=[png])
        expect(page.locator("#attachment")).to_be_visible()
        self.ask(page, "What is in this picture, and what is its mood?", PICTURE_ANSWER)
        page.locator("#prompt").focus()
        save(page, "page")
        page.context.close()

    def conversations(self) -> None:
        for theme, name in (("light", "conversations"), ("dark", "dark")):
            page = self.open(color_scheme=theme)
            self.ask(page, "Plan a weekend in Lisbon", LISBON_ANSWER)
            page.get_by_role("button", name="New chat").click()
            self.ask(page, "How do I stream an answer in Python?", STREAM_ANSWER)
            page.locator("#prompt").focus()
            save(page, name)
            page.context.close()

    def error(self) -> None:
        from playwright.sync_api import expect

        from aiodynaspark.testing import Fault

        page = self.open()
        self.emulator.stream_delay = 0.02
        self.emulator.push_reply(STORY)
        page.locator("#prompt").fill("Tell me a story about a lighthouse")
        page.locator("#prompt").press("Enter")
        answer = page.locator("li.msg-assistant").last
        expect(answer.locator(".msg-text")).to_contain_text("the sea was calmer")
        page.get_by_role("button", name="Stop the answer").click()
        expect(answer).to_have_attribute("data-status", "stopped")
        self.emulator.stream_delay = 0
        self.emulator.push(Fault.status(503))
        page.locator("#prompt").fill("Are you there?")
        page.locator("#prompt").press("Enter")
        error = page.locator("li.msg-assistant").last.locator(".msg-error")
        expect(error).to_be_visible()
        error.locator("summary").click()
        save(page, "error")
        page.context.close()

    def rtl(self) -> None:
        page = self.open()
        self.ask(page, "איך אומרים שלום בערבית?", GREETINGS)
        save(page, "rtl")
        page.context.close()

    def picture(self) -> None:
        from playwright.sync_api import expect

        page = self.open()
        page.get_by_role("group", name="Mode").get_by_text("Image").click()
        page.locator("#prompt").fill("A lighthouse at dusk")
        page.locator("#prompt").press("Enter")
        expect(page.locator("li.msg-assistant img.generated-image")).to_be_visible()
        save(page, "picture")
        page.context.close()

    def phone(self) -> None:
        from playwright.sync_api import expect

        page = self.open(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
        self.ask(page, "What should I pack for Lisbon?", PACKING_ANSWER)
        page.locator("#prompt").blur()
        save(page, "phone")
        page.get_by_role("button", name="Conversations").click()
        expect(page.get_by_role("navigation", name="Conversations")).to_be_visible()
        page.wait_for_timeout(300)  # the drawer's slide
        save(page, "phone-drawer")
        page.context.close()

    def jump(self) -> None:
        from playwright.sync_api import expect

        page = self.open()
        self.emulator.stream_delay = 0.03
        steps = (
            f"**Step {n}.** Read the next event, add its text to the answer, draw the new end."
            for n in range(1, 41)
        )
        self.emulator.push_reply("\n\n".join(steps))
        page.locator("#prompt").fill("Explain streaming step by step")
        page.locator("#prompt").press("Enter")
        page.wait_for_function(
            "() => document.querySelectorAll('li.msg-assistant .msg-text p').length >= 20"
        )
        page.locator("#conversation").hover()
        page.mouse.wheel(0, -200)
        expect(page.get_by_role("button", name="Jump to latest")).to_be_visible()
        save(page, "jump")
        page.context.close()  # the answer is cut: the emulator is reset for the next picture
        self.emulator.stream_delay = 0

    def versions(self) -> None:
        from playwright.sync_api import expect

        page = self.open()
        self.ask(page, "Plan a weekend in Lisbon", LISBON_ANSWER)
        self.emulator.push_reply(LISBON_AGAIN)
        page.get_by_role("button", name="Regenerate: write this answer again").click()
        answer = page.locator("li.msg-assistant").last
        expect(answer.get_by_role("group", name="Versions of this answer")).to_contain_text("2/2")
        expect(page.locator("body[data-saving]")).to_have_count(0)
        answer.get_by_role("button", name="Regenerate: write this answer again").focus()
        answer.get_by_role("button", name="Previous version").hover()
        save(page, "versions")
        page.context.close()

    def code_and_math(self) -> None:
        from playwright.sync_api import expect

        page = self.open()
        self.ask(page, "What is 1 + 2 + … + n? Show it in Python too.", CODE_AND_MATH)
        answer = page.locator("li.msg-assistant").last
        expect(answer.locator("code.hljs")).to_have_count(1)
        expect(answer.locator(".math.typeset")).to_have_count(4)
        page.evaluate("() => document.fonts.ready")
        page.locator("#prompt").focus()
        save(page, "code-math")
        page.context.close()

    def search(self) -> None:
        from playwright.sync_api import expect

        page = self.open()
        self.ask(page, "Plan a weekend in Lisbon", LISBON_ANSWER)
        page.get_by_role("button", name="New chat").click()
        self.ask(page, "What should I pack for Lisbon?", PACKING_ANSWER)
        page.get_by_role("button", name="New chat").click()
        self.ask(page, "How do I stream an answer in Python?", STREAM_ANSWER)
        page.get_by_role("searchbox", name="Search conversations").fill("castle")
        nav = page.get_by_role("navigation", name="Conversations")
        expect(nav.get_by_role("listitem")).to_have_count(1)
        save(page, "search")
        page.context.close()

    def long_conversation(self) -> None:
        from playwright.sync_api import expect

        page = self.open()
        self.ask(page, "Plan a weekend in Lisbon", LISBON_ANSWER)

        def whole(route: "Route") -> None:
            # What the gateway answers when the conversation is too long to stream.
            piece = {"choices": [{"index": 0, "delta": {"content": WHOLE_ANSWER}}]}
            usage = {"choices": [], "usage": {"prompt_tokens": 9120, "completion_tokens": 31}}
            body = f": keep-alive\n\ndata: {json.dumps(piece)}\n\ndata: {json.dumps(usage)}\n\n"
            headers = {
                "content-type": "text/event-stream",
                "x-aiodynaspark-stream": "whole",
                "x-aiodynaspark-dropped-params": "temperature,seed",
            }
            route.fulfill(status=200, headers=headers, body=f"{body}data: [DONE]\n\n")

        page.route("**/v1/chat/completions", whole)
        self.ask(page, "Where did we get to with the plan?")
        expect(page.locator("#long-notice")).to_be_visible()
        save(page, "long-conversation")
        page.context.close()


SHOTS: dict[str, Callable[[Shots], None]] = {
    "page": Shots.page,
    "conversations": Shots.conversations,
    "error": Shots.error,
    "rtl": Shots.rtl,
    "picture": Shots.picture,
    "phone": Shots.phone,
    "jump": Shots.jump,
    "versions": Shots.versions,
    "code-math": Shots.code_and_math,
    "search": Shots.search,
    "long-conversation": Shots.long_conversation,
}


def main() -> None:
    from playwright.sync_api import sync_playwright

    from aiodynaspark.testing import Emulator

    from .chat_page import serve_page

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("names", nargs="*", choices=[[], *SHOTS], help="pictures to take")
    args = parser.parse_args()
    # The browser tests' PNG maker, so the picture is the same one the tests attach.
    sys.path.insert(0, os.path.join(ROOT, "tests", "browser"))
    chromium = os.environ.get("AIODYNASPARK_CHROMIUM") or shutil.which("chromium")
    if chromium is None:
        raise SystemExit("no Chromium: set AIODYNASPARK_CHROMIUM or install chromium")
    with (
        Emulator.run_in_thread() as emulator,
        serve_page(emulator.url, None) as url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            shots = Shots(browser, url, emulator)
            for name in args.names or SHOTS:
                emulator.reset()
                SHOTS[name](shots)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
