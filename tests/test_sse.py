"""Server-sent events: framing and payload shapes, whatever the chunking."""

import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiodynaspark import ResponseError
from aiodynaspark._sse import SSEDecoder, iter_text_pieces, text_from_payload


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


def test_error_payload_raises() -> None:
    with pytest.raises(ResponseError, match="quota"):
        text_from_payload('{"error": {"message": "quota"}}')


async def test_stream_without_done_raises() -> None:
    chunks = [b'data: {"response": "a"}\n\n', b'data: {"response": "b"}']
    got: list[str] = []
    with pytest.raises(ResponseError, match=r"without its end marker"):
        async for piece in iter_text_pieces(_aiter(chunks), source="x"):
            got.append(piece)
    assert got == ["a", "b"]


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
