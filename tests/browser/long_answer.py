"""A long Markdown answer streamed at a reader's pace, the upstream that streams it, and
saved conversations of long answers.

The long-answer test and benchmark need an answer far longer than the emulator's echo: this upstream
answers the REST chat route (``GET /api/generate_response?stream=true``) with a fixed
16,000-word Markdown document, sent as OpenAI-shaped server-sent events on a fixed
schedule, so the gateway in front of it and the page behind that see a real stream.
"""

import asyncio
import json
import time

from aiohttp import web
from playwright.sync_api import Page

# The pace the budgets are set for: a fast model, about 300 words a second.
WORDS_PER_SECOND = 300
WORDS_PER_EVENT = 3

_CODE = (
    "```python\n"
    "async def fetch(client, question):\n"
    "    async with client.stream(question) as answer:\n"
    "        async for piece in answer:\n"
    "            print(piece, end='')\n"
    "```"
)
_TABLE = (
    "| Library | Purpose | Streams | Notes |\n"
    "|---|---|:---:|---|\n"
    "| aiohttp | HTTP client and server | yes | one session per client |\n"
    "| httpx | HTTP client | yes | sync and async |\n"
    "| pydantic | typed models | no | validation at the edge |"
)
_SENTENCE = (
    "The gateway reads each event as it arrives and hands the text to the page, which "
    "shows it without waiting for the rest of the answer to come in."
)


def long_markdown(words: int) -> str:
    """A Markdown document of at least ``words`` words: headings, text, lists, code, tables."""
    parts: list[str] = []
    count = 0
    section = 0
    while count < words:
        section += 1
        block = [
            f"## Section {section}: streaming in practice",
            " ".join([_SENTENCE] * 3),
            f"- point one of section {section}, with **bold** text\n"
            f"- point two, with `inline code` and *emphasis*\n"
            f"- point three, with a [link](https://example.com/{section})",
            " ".join([_SENTENCE] * 2),
        ]
        if section % 3 == 0:
            block.append(_CODE)
        if section % 4 == 0:
            block.append(_TABLE)
        text = "\n\n".join(block)
        parts.append(text)
        count += len(text.split())
    return "\n\n".join(parts)


def pieces_of(text: str, words_per_piece: int) -> list[str]:
    """Split ``text`` into pieces of a few words each, keeping every space and newline."""
    pieces: list[str] = []
    current: list[str] = []
    words = 0
    token = ""
    for char in text:
        token += char
        if char in " \n":
            current.append(token)
            token = ""
            words += 1
            if words == words_per_piece:
                pieces.append("".join(current))
                current, words = [], 0
    current.append(token)
    pieces.append("".join(current))
    return [piece for piece in pieces if piece]


class PacedUpstream:
    """A stand-in Dynaspark host that streams one long answer at a fixed word rate."""

    def __init__(self, text: str, words_per_second: float = WORDS_PER_SECOND) -> None:
        self.pieces = pieces_of(text, WORDS_PER_EVENT)
        self.interval = WORDS_PER_EVENT / words_per_second
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_type = "text/event-stream"
        await response.prepare(request)
        started = time.monotonic()
        for index, piece in enumerate(self.pieces):
            # A fixed schedule, not a sleep per event: late wake-ups do not slow the pace.
            delay = started + index * self.interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            payload = json.dumps({"choices": [{"delta": {"content": piece}}]})
            await response.write(f"data: {payload}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/api/generate_response", self._answer)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


# Writes two conversations straight into the page's IndexedDB: a short one (open at the
# reload) and the long one the benchmark then opens from the list.
_SEED_JS = """async ([long, short]) => {
  const db = await new Promise((resolve, reject) => {
    const req = indexedDB.open("aiodynaspark-chat");
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const store = db.transaction("conversations", "readwrite").objectStore("conversations");
  for (const record of [long, short]) store.put(record);
  await new Promise((resolve) => { store.transaction.oncomplete = resolve; });
  db.close();
  const saved = JSON.parse(localStorage.getItem("aiodynaspark.chat.v1") || "{}");
  saved.settings = { ...(saved.settings || {}), conversation: short.id };
  localStorage.setItem("aiodynaspark.chat.v1", JSON.stringify(saved));
}"""


def conversation_record(conversation_id: str, answers: list[str]) -> dict[str, object]:
    """A conversation as the page stores it: a question before each of ``answers``."""
    messages: list[dict[str, object]] = []
    for n, answer in enumerate(answers):
        common = {"kind": "chat", "image": None, "imageName": "", "imageDropped": False}
        messages.append(
            {
                **common,
                "id": f"{conversation_id}-q{n}",
                "role": "user",
                "text": f"Question {n}: write a long guide.",
                "status": "done",
                "model": "",
                "prompt": "",
                "error": None,
            }
        )
        messages.append(
            {
                **common,
                "id": f"{conversation_id}-a{n}",
                "role": "assistant",
                "text": answer,
                "status": "done",
                "model": "gemini-1.5-flash",
                "prompt": "",
                "error": None,
            }
        )
    title = f"{len(answers)} long answers" if len(answers) > 1 else "A short one"
    return {
        "id": conversation_id,
        "title": title,
        "renamed": True,
        "updated": len(answers),
        "messages": messages,
    }


def seed_conversations(page: Page, answer: str, answers: int) -> str:
    """Save a conversation of ``answers`` copies of ``answer`` and a short one, open the short.

    Returns:
        The title of the long conversation (the page shows it after a reload).
    """
    long = conversation_record("long", [answer] * answers)
    short = conversation_record("short", ["A short answer."])
    page.evaluate(_SEED_JS, [long, short])
    return str(long["title"])
