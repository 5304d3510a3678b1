"""A long answer streamed in redraws only its unfinished end, never a finished block.

A Markdown answer of a few thousand words (headings, text, lists, code, tables) arrives
through the gateway from a paced upstream, fast. A ``MutationObserver`` in the page records,
for every update of the answer's body, which blocks were removed and which were added:
an update may remove only what the update before it added as the unfinished end, and the
message's element itself is never replaced while it streams.

How long those updates take is a matter of the machine: the budgets (share of the main
thread blocked, longest task) are measured by ``python -m benchmarks.chat_page``.
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest
from chatpage import ChatPage
from long_answer import PacedUpstream, long_markdown, seed_conversations
from playwright.sync_api import Page, expect

from aiodynaspark.testing._thread import serve_in_thread

pytestmark = pytest.mark.browser

ANSWER_WORDS = 3_000
SAVED_ANSWERS = 10
# Opening a conversation draws at most this many messages in one task (view.js).
SHOW_SLICE_MESSAGES = 6
# Five times the benchmark's pace: two seconds of stream, still hundreds of events.
WORDS_PER_SECOND = 1_500
STREAM_WAIT_MS = 60_000

_OBSERVE_JS = """() => {
  const log = window.__redraws = { updates: 0, removed: 0, worst: 0, finishedRemoved: 0,
                                   replaced: 0 };
  let lastAdded = new Set();
  new MutationObserver((records) => {
    const added = new Set();
    let removed = 0;
    for (const record of records) {
      if (record.target.id === "messages") {
        for (const node of record.removedNodes) {
          if (node.dataset?.status === "streaming") log.replaced += 1;
        }
        continue;
      }
      if (!record.target.classList?.contains("msg-text")) continue;
      for (const node of record.removedNodes) {
        removed += 1;
        // Only the end drawn by the update before (or earlier in this one) may go again.
        if (!lastAdded.has(node) && !added.has(node)) log.finishedRemoved += 1;
      }
      for (const node of record.addedNodes) added.add(node);
    }
    if (added.size || removed) {
      log.updates += 1;
      log.removed += removed;
      log.worst = Math.max(log.worst, removed);
      lastAdded = added;
    }
  }).observe(document.querySelector("#messages"), { childList: true, subtree: true });
}"""


# Open a conversation from the list and count the messages drawn in that same task.
_OPEN_AND_COUNT_JS = """(title) => {
  const buttons = [...document.querySelectorAll("#conversation-list .conv-open")];
  buttons.find((button) => button.textContent === title).click();
  return [...document.querySelectorAll("#messages > li")].map((li) => li.dataset.id);
}"""


@pytest.fixture(scope="module")
def long_text() -> str:
    return long_markdown(ANSWER_WORDS)


@pytest.fixture
def long_gateway(
    long_text: str, gateway_in_front_of: Callable[[str], AbstractContextManager[str]]
) -> Iterator[str]:
    upstream = PacedUpstream(long_text, words_per_second=WORDS_PER_SECOND)
    with (
        serve_in_thread(upstream, name="paced-upstream"),
        gateway_in_front_of(upstream.url) as url,
    ):
        yield url


def test_each_streamed_update_redraws_only_the_unfinished_end(
    page: Page, long_gateway: str, long_text: str
) -> None:
    chat = ChatPage(page, long_gateway)
    chat.open()
    page.evaluate(_OBSERVE_JS)

    chat.send("Write a long guide to streaming.")
    expect(chat.last_answer).to_have_attribute("data-status", "done", timeout=STREAM_WAIT_MS)

    log = page.evaluate("() => window.__redraws")
    # The whole answer is there, rendered: every section's heading.
    expect(chat.last_answer.locator(".msg-text h2")).to_have_count(long_text.count("## "))
    # It did stream in pieces (how many depends on the machine: updates are spaced by cost).
    assert log["updates"] >= 2, log
    assert log["finishedRemoved"] == 0, log
    # The unfinished end is a block or two (a heading and the start of the next one).
    assert log["worst"] <= 3, log
    assert log["replaced"] == 0, log


def test_reopening_ten_long_answers_draws_the_newest_first_and_the_rest_in_later_tasks(
    chat: ChatPage, long_text: str
) -> None:
    title = seed_conversations(chat.page, long_text, SAVED_ANSWERS)
    chat.page.reload()
    chat.wait_ready()

    drawn = chat.page.evaluate(_OPEN_AND_COUNT_JS, title)

    assert 0 < len(drawn) <= SHOW_SLICE_MESSAGES
    assert drawn[-1] == f"long-a{SAVED_ANSWERS - 1}"  # the newest answer comes first
    expect(chat.messages).to_have_count(2 * SAVED_ANSWERS)
    ids = [li.get_attribute("data-id") for li in chat.messages.all()]
    assert ids == [f"long-{kind}{n}" for n in range(SAVED_ANSWERS) for kind in "qa"]
    expect(chat.last_answer).to_be_in_viewport()
