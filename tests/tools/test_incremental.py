"""Streaming a contract answer: content goes out while the JSON arrives."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from aiodynaspark._structured._extract import ObjectScanner
from aiodynaspark._structured._incremental import AnswerStream
from aiodynaspark._structured._plan import AnswerPlan, read_plan

_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "add",
            "parameters": {
                "type": "object",
                "properties": {"a": {"type": "integer"}},
                "required": ["a"],
            },
        },
    }
]


def _plan(**options: object) -> AnswerPlan:
    plan = read_plan(dict(options), stream=True)
    assert plan is not None
    return plan


def _pieces(text: str, cuts: list[int]) -> list[str]:
    points = sorted({min(cut, len(text)) for cut in cuts})
    pieces, last = [], 0
    for point in [*points, len(text)]:
        pieces.append(text[last:point])
        last = point
    return pieces


@settings(deadline=None)  # CPU shared with other work: timing is not tested here
@given(
    st.text(max_size=40),
    st.sampled_from(["", "Sure:\n```json\n", "ok "]),
    st.lists(st.integers(0, 120), max_size=12),
)
def test_content_streams_as_a_growing_prefix_and_ends_whole(
    content: str, before: str, cuts: list[int]
) -> None:
    reply = before + json.dumps({"content": content}) + ("\n```" if before else "")
    parser = AnswerStream(_plan(tools=_TOOLS))
    out = ""
    for piece in _pieces(reply, cuts):
        out += parser.feed(piece)
        assert content.startswith(out)
    answer = parser.finish()
    assert answer.content == content
    assert out + answer.content[parser.released :] == content


def test_content_goes_out_before_the_object_is_closed() -> None:
    parser = AnswerStream(_plan(tools=_TOOLS))
    assert parser.feed('{"content": "Hello, wor') == "Hello, wor"
    assert parser.feed('ld"}') == "ld"


def test_a_tool_call_releases_no_content() -> None:
    parser = AnswerStream(_plan(tools=_TOOLS))
    reply = '{"tool_calls": [{"name": "add", "arguments": {"a": 1}}]}'
    assert "".join(parser.feed(c) for c in reply) == ""
    answer = parser.finish()
    assert [(call.name, json.loads(call.arguments)) for call in answer.tool_calls] == [
        ("add", {"a": 1})
    ]


@settings(deadline=None)  # CPU shared with other work: timing is not tested here
@given(st.lists(st.integers(0, 80), max_size=10))
def test_schema_answer_streams_the_object_text_only(cuts: list[int]) -> None:
    plan = _plan(
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "p", "schema": {"type": "object"}},
        }
    )
    parser = AnswerStream(plan)
    reply = 'Here: {"name": "Ada", "age": 36} done'
    out = "".join(parser.feed(piece) for piece in _pieces(reply, cuts))
    assert out == '{"name": "Ada", "age": 36}'
    assert parser.finish().content == out


_JSON_TEXT = st.text(alphabet='ab"\\{} \n', max_size=12)


@settings(deadline=None)  # CPU shared with other work: timing is not tested here
@given(
    st.dictionaries(_JSON_TEXT, _JSON_TEXT | st.lists(_JSON_TEXT, max_size=3), max_size=4),
    st.sampled_from(["", "text } before ", '"quoted" ']),
    st.lists(st.integers(0, 200), max_size=12),
)
def test_scanner_finds_the_object_however_the_text_is_split(
    value: dict[str, object], before: str, cuts: list[int]
) -> None:
    own = json.dumps(value)
    scanner = ObjectScanner()
    for piece in _pieces(before + own + " after {", cuts):
        scanner.feed(piece)
    assert (scanner.start, scanner.end) == (len(before), len(before) + len(own))


def test_a_long_content_answer_streams_whole_past_the_every_piece_size() -> None:
    content = "word " * 40_000  # 200 000 characters, read again only as it grows
    reply = json.dumps({"content": content})
    parser = AnswerStream(_plan(tools=_TOOLS))
    out = "".join(parser.feed(reply[i : i + 200]) for i in range(0, len(reply), 200))
    assert out == content
