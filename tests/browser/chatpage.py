"""A small driver for the chat page: the selectors live here, the tests say what they check."""

import base64
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import ConsoleMessage, FilePayload, Locator, Page, expect

from aiodynaspark.testing import Emulator, RecordedRequest

API_KEY = "browser-test-key"
REPO_ROOT = Path(__file__).resolve().parents[2]
# Kept by CI as a build artifact; the pictures in docs/images come from benchmarks/screenshots.py.
SCREENSHOT_DIR = REPO_ROOT / "artifacts" / "screenshots"

# Paste an image the way a browser does: a ClipboardEvent whose DataTransfer holds a File.
_PASTE_JS = """([data, name, type]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type }));
  const event = new ClipboardEvent(
    "paste", { clipboardData: transfer, bubbles: true, cancelable: true });
  document.querySelector("#prompt").dispatchEvent(event);
}"""


class ChatPage:
    """The chat page of one gateway, opened in one browser page."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url

    def open(self) -> None:
        """Load the page and wait until the model list is in."""
        self.page.goto(f"{self.url}/")
        self.wait_ready()

    def wait_ready(self) -> None:
        """Wait until the page has started and the model list is in."""
        expect(self.page.locator("body.is-ready")).to_be_attached()
        expect(self.model_picker).to_be_enabled()

    @property
    def prompt(self) -> Locator:
        return self.page.locator("#prompt")

    @property
    def model_picker(self) -> Locator:
        return self.page.locator("#model")

    @property
    def stop_button(self) -> Locator:
        return self.page.get_by_role("button", name="Stop the answer")

    @property
    def send_button(self) -> Locator:
        return self.page.locator("#send")

    @property
    def notice(self) -> Locator:
        return self.page.locator("#notice")

    @property
    def status(self) -> Locator:
        return self.page.locator("#status")

    @property
    def messages(self) -> Locator:
        return self.page.locator("#messages > li")

    @property
    def answers(self) -> Locator:
        return self.page.locator("li.msg-assistant")

    @property
    def last_answer(self) -> Locator:
        return self.answers.last

    @property
    def last_answer_text(self) -> Locator:
        return self.last_answer.locator(".msg-text")

    @property
    def model(self) -> str:
        """The model chosen in the picker."""
        return self.model_picker.input_value()

    def send(self, text: str) -> None:
        """Type a message and press Enter."""
        self.prompt.fill(text)
        self.prompt.press("Enter")

    def attach(self, data: bytes, name: str, mime: str) -> None:
        """Choose an image with the file picker."""
        payload = FilePayload(name=name, mimeType=mime, buffer=data)
        self.page.set_input_files("#file-input", files=[payload])

    def paste(self, data: bytes, name: str, mime: str) -> None:
        """Paste an image into the message box."""
        self.page.evaluate(_PASTE_JS, [base64.b64encode(data).decode(), name, mime])

    @property
    def conversations(self) -> Locator:
        """The items of the "Conversations" navigation."""
        return self.page.get_by_role("navigation", name="Conversations").get_by_role("listitem")

    def conversation(self, title: str) -> Locator:
        """The button that opens the conversation named ``title``."""
        nav = self.page.get_by_role("navigation", name="Conversations")
        return nav.get_by_role("button", name=title, exact=True)

    def new_chat(self) -> None:
        self.page.get_by_role("button", name="New chat").click()

    def wait_done(self) -> None:
        """Wait until the last answer has finished and the conversation is saved."""
        expect(self.last_answer).to_have_attribute("data-status", "done")
        self.wait_saved()

    def wait_saved(self) -> None:
        """Wait until nothing is being written to the browser's storage."""
        expect(self.page.locator("body[data-saving]")).to_have_count(0)


def requests_to(emulator: Emulator, path: str) -> list[RecordedRequest]:
    """The emulator's recorded requests to one path."""
    return [request for request in emulator.requests if request.path == path]


def make_png(width: int = 64, height: int = 48) -> bytes:
    """A small, valid, colourful PNG (a diagonal gradient), built without Pillow."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type: none
        for x in range(width):
            rows += bytes((80 + x * 150 // width, 90 + y * 120 // height, 230 - x * 60 // width))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows)))
        + chunk(b"IEND", b"")
    )


# A 1x1 GIF: the second image of the refusal test.
GIF_BYTES = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


@dataclass
class PageLog:
    """What a page did: every request it made, and what went wrong in it."""

    requests: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)
