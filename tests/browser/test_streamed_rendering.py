"""A streamed answer ends as the same page as the whole answer drawn at once (a reload)."""

import pytest
from chatpage import ChatPage
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

LINES = [
    "",
    "",
    "A paragraph with **bold** and `code`.",
    "continued on a second line",
    "# A heading",
    "- an item",
    "  - a nested item",
    "    indented: code or a list item's paragraph",
    "1. first",
    "2. second",
    "> a quote",
    "```python",
    "```",
    "~~~",
    "| a | b |",
    "|---|---|",
    "| 1 | 2 |",
    "---",
    "مرحبا بالعالم",
]

_STREAM_JS = """async ([text, cuts]) => {
  const { StreamingBody } = await import("/ui/answer-render.js");
  const draw = (pieces) => {
    const box = document.createElement("div");
    const body = new StreamingBody(box);
    for (const end of pieces) body.render(text.slice(0, end));
    body.finish();
    return box.innerHTML.replaceAll(' class="stream-end"', "");
  };
  return [draw([...cuts, text.length]), draw([text.length])];
}"""


@pytest.fixture
def page_with_modules(page: Page, gateway: str) -> Page:
    ChatPage(page, gateway).open()
    return page


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    lines=st.lists(st.sampled_from(LINES), max_size=25),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=12),
)
# Four loose list items, the stream cut in the third: each segment is drawn on its own.
@example(lines=["1. first", "", "2. second", "", "3. third", "", "4. fourth"], cuts=[22])
def test_streaming_piece_by_piece_draws_what_one_go_draws(
    page_with_modules: Page, lines: list[str], cuts: list[int]
) -> None:
    text = "\n".join(lines)
    ends = sorted({cut for cut in cuts if cut < len(text)})

    streamed, whole = page_with_modules.evaluate(_STREAM_JS, [text, ends])

    assert streamed == whole
