"""Server-sent events: framing and payload shapes, whatever the chunking."""

import asyncio
import itertools
import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from aiodynaspark import ResponseError
from aiodynaspark._wire._sse import SSEDecoder, iter_text_pieces, text_from_payload


async def _aiter(chunks: list[bytes]):  # type: ignore[no-untyped-def]
    for chunk in chunks:
        yield chunk


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges) if b > a]


_pieces = st.lists(
    st.text(min_size=1, max_size=12).filter(lambda t: t.strip() != "[DONE]"), max_size=8
)


@given(
    _pieces,
    st.lists(st.integers(min_value=0, max_value=400), max_size=10),
    st.sampled_from(["\n", "\r\n"]),
)
async def test_any_chunking_gives_the_same_pieces(
    pieces: list[str], cuts: list[int], newline: str
) -> None:
    body = "".join(
        f"data: {json.dumps({'choices': [{'delta': {'content': p}}]})}{newline}{newline}"
        for p in pieces
    )
    body += f": keep-alive comment{newline}{newline}data: [DONE]{newline}{newline}"
    got = [
        piece async for piece in iter_text_pieces(_aiter(_split(body.encode(), cuts)), source="x")
    ]
    assert got == [p for p in pieces if p]


@given(st.text(max_size=60))
def test_payload_reader_never_raises_but_for_error_events(data: str) -> None:
    try:
        result = text_from_payload(data)
    except ResponseError:
        return
    assert result is None or isinstance(result, str)


@pytest.mark.parametrize(
    ("data", "piece"),
    [
        ('{"choices":[{"delta":{"content":"a"}}]}', "a"),
        ('{"choices":[{"delta":{"role":"assistant"}}]}', None),
        ('{"choices":[{"message":{"content":"m"}}]}', "m"),
        ('{"choices":[{"text":"t"}]}', "t"),
        ('{"choices":[]}', None),
        ('{"response":"r"}', "r"),
        ('{"content":"c"}', "c"),
        ('"quoted"', "quoted"),
        ("plain words", "plain words"),
        ("{broken", "{broken"),
        ("[1, 2]", "[1, 2]"),
    ],
)
def test_each_payload_shape(data: str, piece: str | None) -> None:
    assert text_from_payload(data) == piece


_USUAL_HEAD = '{"choices": [{"delta": {"content": "'
_USUAL_TAIL = '"}}]}'


@given(st.text(), st.booleans())
def test_the_usual_event_gives_the_text_it_was_written_with(text: str, ascii: bool) -> None:
    data = json.dumps({"choices": [{"delta": {"content": text}}]}, ensure_ascii=ascii)
    assert text_from_payload(data) == text


@given(st.text().filter(lambda text: '"' not in text))
@example("\\n")  # an escape, which only a JSON parser reads as a newline
@example("\\")  # a backslash escaping the closing quote: not JSON
@example("a\tb")  # a raw control character: not JSON either
@example("")
def test_the_usual_event_is_read_as_a_json_parser_reads_it(text: str) -> None:
    data = _USUAL_HEAD + text + _USUAL_TAIL
    try:
        expected = json.loads(data)["choices"][0]["delta"]["content"]
    except ValueError:
        expected = data  # not JSON: the event's data is its text
    assert text_from_payload(data) == expected


@pytest.mark.parametrize(
    ("inside", "piece"),
    [
        ('a", "role": "assistant', "a"),
        ('a"}, "finish_reason": null, "x": {"content": "b', "a"),
        ('say \\"hi\\" and \\"bye\\"', 'say "hi" and "bye"'),
    ],
)
def test_an_event_that_only_starts_and_ends_as_the_usual_one_is_read_whole(
    inside: str, piece: str
) -> None:
    # Between the usual head and tail stand more fields, or escaped quotes: the quick read
    # must not take it all for the text.
    data = _USUAL_HEAD + inside + _USUAL_TAIL
    assert json.loads(data)["choices"][0]["delta"]["content"] == piece
    assert text_from_payload(data) == piece


def test_an_event_too_short_to_hold_the_usual_shape_is_not_read_as_it() -> None:
    # The head's closing quote and the tail's opening one must not be taken for one.
    data = _USUAL_HEAD[:-1] + _USUAL_TAIL
    assert text_from_payload(data) == data


def test_json_event_with_no_known_key_carries_no_text() -> None:
    assert text_from_payload('{"id": "x", "object": "ping"}') is None


def test_error_payload_raises() -> None:
    with pytest.raises(ResponseError, match="quota"):
        text_from_payload('{"error": {"message": "quota"}}')


async def test_openai_stream_without_done_or_finish_reason_raises() -> None:
    chunks = [b'data: {"choices":[{"delta":{"content":"a"}}]}\n\n']
    got: list[str] = []
    with pytest.raises(ResponseError, match=r"without its end marker"):
        async for piece in iter_text_pieces(_aiter(chunks), source="x"):
            got.append(piece)
    assert got == ["a"]


async def test_openai_stream_with_finish_reason_is_complete_without_done() -> None:
    chunks = [
        b'data: {"choices":[{"delta":{"content":"a"}}]}\n\n',
        b'data: {"choices":[{"delta":{},"finish_reason":"stop"}]}\n\n',
    ]
    assert [p async for p in iter_text_pieces(_aiter(chunks), source="x")] == ["a"]


async def test_response_stream_that_ends_cleanly_is_complete_without_done() -> None:
    chunks = [b'data: {"response": "a"}\n\n', b'data: {"response": "b"}']
    assert [p async for p in iter_text_pieces(_aiter(chunks), source="x")] == ["a", "b"]


async def test_stream_with_no_event_at_all_raises() -> None:
    with pytest.raises(ResponseError, match="without any event"):
        async for _ in iter_text_pieces(_aiter([b": hello\n\n"]), source="x"):
            pass


async def test_event_over_the_limit_raises_naming_the_setting() -> None:
    chunks = [b"data: " + b"x" * 600, b"y" * 600]
    with pytest.raises(ResponseError, match="max_event_bytes"):
        async for _ in iter_text_pieces(_aiter(chunks), source="x", max_event_bytes=1000):
            pass


async def test_many_data_lines_over_the_limit_raise() -> None:
    chunks = [b"data: 12345\n" * 200]
    with pytest.raises(ResponseError, match="max_event_bytes"):
        async for _ in iter_text_pieces(_aiter(chunks), source="x", max_event_bytes=1000):
            pass


async def test_stream_over_the_total_limit_raises_naming_the_setting() -> None:
    event = b'data: {"response": "abcdefgh"}\n\n'
    got: list[str] = []
    with pytest.raises(ResponseError, match="max_stream_bytes"):
        async for piece in iter_text_pieces(
            _aiter([event] * 100), source="x", max_stream_bytes=10 * len(event)
        ):
            got.append(piece)
    assert len(got) == 10


async def test_empty_pieces_are_not_yielded() -> None:
    body = [b'data: {"response": ""}\n\n', b'data: {"response": "a"}\n\n', b"data: [DONE]\n\n"]
    assert [p async for p in iter_text_pieces(_aiter(body), source="x")] == ["a"]


async def test_keepalive_comments_do_not_count_as_content() -> None:
    async def comments():  # type: ignore[no-untyped-def]
        yield b'data: {"response": "a"}\n\n'
        for _ in range(50):
            await asyncio.sleep(0.01)
            yield b": keepalive\n\n"

    with pytest.raises(ResponseError, match="stream_idle_timeout"):
        async with asyncio.timeout(5):
            async for _ in iter_text_pieces(comments(), source="x", idle_timeout=0.1):
                pass


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=4096))
def test_a_long_event_comes_whole_however_it_is_cut(chunk_size: int) -> None:
    # How long the decoding takes (linear in the input, not quadratic) is measured by
    # benchmarks.sse_decoding, not here.
    body = b"data: " + b"x" * 800_000 + b"\n\n"
    chunks = [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)]
    decoder = SSEDecoder(max_event_bytes=1_000_000)
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    assert len(events) == 1
    assert len(events[0].data) == 800_000


async def test_error_event_raises() -> None:
    with pytest.raises(ResponseError, match="overloaded"):
        async for _ in iter_text_pieces(
            _aiter([b"event: error\ndata: overloaded\n\n"]), source="x"
        ):
            pass


def test_multiline_data_is_joined() -> None:
    decoder = SSEDecoder()
    events = list(decoder.feed(b"event: note\ndata: one\ndata:two\nid: 3\n\n"))
    assert [(e.event, e.data) for e in events] == [("note", "one\ntwo")]
    assert decoder.flush() is None


# Each test below once let a mutation of the reader pass (docs/testing.md, "Mutation testing").


async def _read(chunks: list[bytes], **bounds: object) -> list[str]:
    async with asyncio.timeout(5):
        return [p async for p in iter_text_pieces(_aiter(chunks), source="x", **bounds)]  # type: ignore[arg-type]


def test_unfinished_line_may_be_exactly_the_limit_and_no_longer() -> None:
    decoder = SSEDecoder(max_event_bytes=10)
    assert list(decoder.feed(b"data: ")) == []
    assert list(decoder.feed(b"1234")) == []  # 10 bytes, across two reads
    with pytest.raises(ResponseError, match=r"Limits\.max_event_bytes"):
        list(decoder.feed(b"5"))


@pytest.mark.parametrize("line", [b"data: 123456789", b"data"])
def test_event_may_be_exactly_the_limit_and_no_longer(line: bytes) -> None:
    # A data line counts its value and one newline: ten lines of 9 bytes, or bare "data"
    # lines of 0 bytes, fill limits of 100 and 10.
    limit = 100 if line.endswith(b"9") else 10
    decoder = SSEDecoder(max_event_bytes=limit)
    for _ in range(2):  # the count starts again after each event
        [event] = list(decoder.feed(b"\n".join([line] * 10) + b"\n\n"))
        assert event.data == "\n".join([line[6:].decode()] * 10)
    with pytest.raises(ResponseError, match=r"Limits\.max_event_bytes"):
        list(decoder.feed(b"\n".join([line] * 11) + b"\n"))


def test_event_type_is_message_unless_named_and_never_carries_over() -> None:
    decoder = SSEDecoder()
    body = (
        b"data: a\n\nevent: note\ndata: b\n\ndata: c\n\n"
        b"event: error\n\ndata: d\n\nevent: x:y\ndata: e\n\n"
    )
    events = [(e.event, e.data) for e in decoder.feed(body)]
    assert events == [
        ("message", "a"),
        ("note", "b"),
        ("message", "c"),
        ("message", "d"),
        ("x:y", "e"),
    ]


def test_undecodable_bytes_are_replaced_not_raised() -> None:
    decoder = SSEDecoder()
    events = list(decoder.feed(b"event: n\xff\ndata: a\xffb\n\n"))
    assert [(e.event, e.data) for e in events] == [("n\ufffd", "a\ufffdb")]


def test_last_event_cut_over_reads_is_joined_whole_at_the_end() -> None:
    decoder = SSEDecoder()
    assert list(decoder.feed(b"data: ab")) == []
    assert list(decoder.feed(b"cd")) == []
    last = decoder.flush()
    assert last is not None
    assert last.data == "abcd"


async def test_last_event_without_its_blank_line_is_yielded() -> None:
    assert await _read([b'data: {"response": "a"}\n']) == ["a"]


@pytest.mark.parametrize(
    ("data", "piece"),
    [
        (' {"response": "r"}', "r"),
        ('{"text": "t"}', "t"),
        ('{"choices": [{"delta": {"content": 5}}]}', None),
        ('{"choices": [{"text": 5}]}', None),
    ],
)
def test_payload_edge_shapes(data: str, piece: str | None) -> None:
    assert text_from_payload(data) == piece


@pytest.mark.parametrize("error", ['{"message": "quota spent"}', '"quota spent"'])
def test_error_payload_quotes_the_services_message(error: str) -> None:
    with pytest.raises(
        ResponseError, match=r"^The service reported an error mid-stream: quota spent$"
    ):
        text_from_payload(f'{{"error": {error}}}')


async def test_stream_of_empty_choices_without_an_end_is_incomplete() -> None:
    with pytest.raises(ResponseError, match="without its end marker"):
        await _read([b'data: {"choices": []}\n\n'])


async def test_unterminated_last_openai_chunk_needs_its_finish_reason() -> None:
    chunk = b'data: {"choices": [{"delta": {"content": "a"}}]}'
    with pytest.raises(ResponseError, match="without its end marker"):
        await _read([chunk])
    closing = b'data: {"choices": [{"delta": {"content": "a"}, "finish_reason": "stop"}]}'
    assert await _read([closing]) == ["a"]


@pytest.mark.parametrize(
    ("bounds", "chunks", "setting"),
    [
        ({"max_event_bytes": 10}, [b"data: " + b"x" * 20 + b"\n\n"], "Limits.max_event_bytes"),
        (
            {"max_stream_bytes": 10},
            [b'data: {"response": "abcdefgh"}\n\n'],
            "Limits.max_stream_bytes",
        ),
    ],
)
async def test_bound_errors_name_the_setting_exactly(
    bounds: dict[str, int], chunks: list[bytes], setting: str
) -> None:
    # The gateway finds the bound by this exact spelling and names it in its 502.
    with pytest.raises(ResponseError) as caught:
        await _read(chunks, **bounds)
    assert f"({setting})" in str(caught.value)


async def test_idle_timeout_error_names_the_setting_exactly() -> None:
    async def silent():  # type: ignore[no-untyped-def]
        yield b'data: {"response": "a"}\n\n'
        await asyncio.sleep(0.15)
        yield b": keepalive\n\n"

    with pytest.raises(ResponseError, match=r"\(Limits\.stream_idle_timeout\)\.$"):
        async with asyncio.timeout(5):
            async for _ in iter_text_pieces(silent(), source="x", idle_timeout=0.1):
                pass


async def test_idle_timeout_counts_from_the_start_and_from_each_piece() -> None:
    async def steady():  # type: ignore[no-untyped-def]
        yield b": opening comment\n\n"  # no content yet, but the clock started just now
        for _ in range(8):
            await asyncio.sleep(0.1)
            yield b'data: {"response": "a"}\n\n'
            yield b": keepalive\n\n"

    async with asyncio.timeout(5):
        got = [p async for p in iter_text_pieces(steady(), source="x", idle_timeout=0.5)]
    assert got == ["a"] * 8  # 0.8 s in all, never 0.5 s without content
