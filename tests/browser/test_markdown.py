"""The page's Markdown renderer (ui/markdown.js), run in the browser under the page's CSP."""

import pytest
from chatpage import ChatPage
from playwright.sync_api import Page, expect

from aiodynaspark.testing import Emulator

pytestmark = pytest.mark.browser

# Render each text into a detached <div> and return what the DOM holds, serialised.
_RENDER_JS = """async (texts) => {
  const { renderMarkdown } = await import("/ui/markdown.js");
  return texts.map((text) => {
    const box = document.createElement("div");
    box.append(renderMarkdown(text));
    return box.innerHTML;
  });
}"""

LINK = 'rel="noopener noreferrer nofollow" target="_blank"'
HIGHLIGHT_AND_MATH = (
    "```python\ndef area(r):\n    return 3.14 * r ** 2\n```\n\n"
    "```brainfudge\n+++.\n```\n\n"
    "Area $A = \\pi r^2$, and $\\href{javascript:alert(1)}{click}$.\n\n"
    "$$\n\\int_0^1 x^2\\,dx\n$$"
)

CASES = [
    ("Hello **world** and *you*", "<p>Hello <strong>world</strong> and <em>you</em></p>"),
    ("__strong__ _em_ ~~gone~~", "<p><strong>strong</strong> <em>em</em> <del>gone</del></p>"),
    ("snake_case_name and 2 * 3 * 4", "<p>snake_case_name and 2 * 3 * 4</p>"),
    ("`a <b> c`", "<p><code>a &lt;b&gt; c</code></p>"),
    ("``code with ` tick``", "<p><code>code with ` tick</code></p>"),
    (
        "```js\nlet x = '<p>';\n```",
        '<pre data-lang="js"><code class="language-js">let x = \'&lt;p&gt;\';</code></pre>',
    ),
    ("```\nunclosed, mid-stream", "<pre><code>unclosed, mid-stream</code></pre>"),
    ("    indented code", "<pre><code>indented code</code></pre>"),
    ("- a\n- b", "<ul><li>a</li><li>b</li></ul>"),
    ("1. a\n2. b", "<ol><li>a</li><li>b</li></ol>"),
    ("3. c\n4. d", '<ol start="3"><li>c</li><li>d</li></ol>'),
    ("- a\n  - b\n- c", "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>"),
    ("# Title\ntext", "<h1>Title</h1><p>text</p>"),
    ("line one\nline two", "<p>line one<br>line two</p>"),
    ("para one\n\npara two", "<p>para one</p><p>para two</p>"),
    ("> quoted", "<blockquote><p>quoted</p></blockquote>"),
    ("---", "<hr>"),
    ("\\*not em\\*", "<p>*not em*</p>"),
    # Math keeps its TeX as text until KaTeX typesets it; prices stay prices.
    (
        "$x^2$ costs $5 and $10",
        '<p><span class="math math-inline" dir="ltr">x^2</span> costs $5 and $10</p>',
    ),
    ("\\(a+b\\) and \\(c", '<p><span class="math math-inline" dir="ltr">a+b</span> and (c</p>'),
    (
        "$$\n\\frac12\n$$\nafter",
        '<div class="math math-display" dir="ltr">\\frac12</div><p>after</p>',
    ),
    (
        "[site](https://example.com/x)",
        f'<p><a href="https://example.com/x" {LINK}>site</a></p>',
    ),
    (
        "see https://example.com/a).",
        f'<p>see <a href="https://example.com/a" {LINK}>https://example.com/a</a>).</p>',
    ),
    (
        "<https://example.com>",
        f'<p><a href="https://example.com/" {LINK}>https://example.com</a></p>',
    ),
    (
        "![a cat](https://example.com/cat.png)",
        f'<p><a href="https://example.com/cat.png" {LINK}>🖼 a cat</a></p>',
    ),
    (
        "| a | b |\n|---|--:|\n| 1 | 2 |",
        '<div class="md-table"><table><thead><tr><th>a</th><th class="align-right">b</th></tr>'
        '</thead><tbody><tr><td>1</td><td class="align-right">2</td></tr></tbody></table></div>',
    ),
]

HOSTILE = [
    "<script>window.__pwned = 1</script>",
    "<img src=x onerror=window.__pwned=1>",
    "<svg onload=window.__pwned=1>",
    "<iframe src=https://evil.example></iframe>",
    "<style>body { display: none }</style>",
    '<a href="javascript:window.__pwned=1">x</a>',
    "[x](javascript:window.__pwned=1)",
    "[x](JaVaScRiPt:window.__pwned=1)",
    "[x]( javascript:window.__pwned=1 )",
    "[x](data:text/html,<script>window.__pwned=1</script>)",
    "[x](vbscript:msgbox)",
    "[x](//evil.example/path)",
    "[x](/relative/path)",
    "![x](javascript:window.__pwned=1)",
    "<javascript:window.__pwned=1>",
    '[x](https://ok.example/"onmouseover="window.__pwned=1)',
    "```\n</code></pre><script>window.__pwned=1</script>\n```",
    "**<img src=x onerror=window.__pwned=1>**",
    "- <img src=x onerror=window.__pwned=1>\n- [y](javascript:1)",
    "| <script>1</script> | b |\n|---|---|\n| <img src=x> | [z](javascript:1) |",
    "> <img src=x onerror=window.__pwned=1>",
    "`</code><img src=x onerror=window.__pwned=1>`",
]

ALLOWED_TAGS = {
    "A", "P", "BR", "STRONG", "EM", "DEL", "CODE", "PRE", "UL", "OL", "LI", "H1", "H2", "H3",
    "H4", "H5", "H6", "BLOCKQUOTE", "HR", "DIV", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD",
    "SPAN",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"href", "rel", "target", "class", "data-lang", "start", "dir"}


def test_markdown_renders_the_common_blocks(page: Page, gateway: str) -> None:
    page.goto(f"{gateway}/")

    rendered = page.evaluate(_RENDER_JS, [text for text, _ in CASES])

    assert dict(zip([text for text, _ in CASES], rendered, strict=True)) == dict(CASES)


def test_markdown_never_builds_active_html(page: Page, gateway: str) -> None:
    page.goto(f"{gateway}/")

    found = page.evaluate(
        """async (texts) => {
          const { renderMarkdown } = await import("/ui/markdown.js");
          const box = document.createElement("div");
          document.body.append(box);  // attached: anything active would run now
          for (const text of texts) box.append(renderMarkdown(text));
          await new Promise((resolve) => setTimeout(resolve, 200));
          const elements = [...box.querySelectorAll("*")];
          return {
            tags: [...new Set(elements.map((node) => node.tagName))],
            attributes: [...new Set(elements.flatMap((node) => node.getAttributeNames()))],
            hrefs: [...box.querySelectorAll("a")].map((a) => a.getAttribute("href")),
            pwned: window.__pwned ?? null,
          };
        }""",
        HOSTILE,
    )

    assert found["pwned"] is None
    assert set(found["tags"]) <= ALLOWED_TAGS
    assert set(found["attributes"]) <= ALLOWED_ATTRIBUTES
    assert all(href.startswith(("https://", "http://")) for href in found["hrefs"])
    assert not any('"' in href or " " in href for href in found["hrefs"])


def test_code_is_highlighted_and_math_typeset_loaded_only_when_an_answer_needs_them(
    page: Page, gateway: str, emulator: Emulator
) -> None:
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url.rsplit("/", 1)[-1]))
    chat = ChatPage(page, gateway)
    chat.open()
    chat.send("Plain words, no code or math, and it costs $5 or $10.")
    chat.wait_done()
    assert not [name for name in fetched if name.startswith(("hljs", "katex", "KaTeX"))]

    emulator.push_reply(HIGHLIGHT_AND_MATH)
    chat.send("Show me code and math")
    chat.wait_done()

    answer = chat.last_answer
    expect(answer.locator("code.hljs .hljs-keyword").first).to_have_text("def")
    expect(answer.locator("code.hljs")).to_have_text("def area(r):\n    return 3.14 * r ** 2")
    expect(answer.locator(".math.typeset .katex")).to_have_count(3)
    expect(answer.locator(".math-display annotation")).to_have_text("\\int_0^1 x^2\\,dx")
    # A hostile formula stays text: KaTeX is not trusted with links.
    expect(answer.locator("a[href^='javascript']")).to_have_count(0)
    expect(answer.locator("code.language-brainfudge")).not_to_have_class("hljs")
    loaded = {name for name in fetched if name.startswith(("hljs", "katex"))}
    assert loaded == {"hljs-core.min.js", "hljs-python.min.js", "katex.min.js", "katex.min.css"}
