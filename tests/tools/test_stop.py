"""Stop sequences: the answer ends before the first one, however the stream is split."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from aiodynaspark._structured._stop import StopFilter, cut_at_stop

_STOPS = st.lists(st.text(alphabet="abc.\n", min_size=1, max_size=4), min_size=1, max_size=4)


@st.composite
def _text_and_stops(draw: st.DrawFn) -> tuple[str, list[str]]:
    """Stop sequences and a text that holds one of them, often where a split falls."""
    stops = draw(_STOPS)
    head = draw(st.text(alphabet="abc.\n", max_size=30))
    tail = draw(st.text(alphabet="abc.\n", max_size=30))
    inner = draw(st.sampled_from(stops)) if draw(st.booleans()) else ""
    return head + inner + tail, stops


def _splits(text: str, cuts: list[int]) -> list[str]:
    points = sorted({min(cut, len(text)) for cut in cuts})
    pieces, last = [], 0
    for point in [*points, len(text)]:
        pieces.append(text[last:point])
        last = point
    return pieces


def test_answer_ends_before_the_earliest_stop_sequence() -> None:
    assert cut_at_stop("one. two\nthree", ("\n", ".")) == ("one", True)


def test_answer_without_a_stop_sequence_is_whole() -> None:
    assert cut_at_stop("one two", ("END",)) == ("one two", False)


@settings(deadline=None)  # CPU shared with other work: timing is not tested here
@given(_text_and_stops(), st.lists(st.integers(0, 60), max_size=10))
@example(("abc", ["bc"]), [2])
def test_streamed_output_equals_the_whole_answer_cut_at_the_stop(
    case: tuple[str, list[str]], cuts: list[int]
) -> None:
    text, stops = case
    gate = StopFilter(tuple(stops))
    out = "".join(gate.feed(piece) for piece in _splits(text, cuts))
    if not gate.stopped:
        out += gate.flush()
    assert (out, gate.stopped) == cut_at_stop(text, tuple(stops))


@settings(deadline=None)  # CPU shared with other work: timing is not tested here
@given(_text_and_stops(), st.lists(st.integers(0, 60), max_size=10))
def test_only_what_could_still_become_a_stop_sequence_is_held_back(
    case: tuple[str, list[str]], cuts: list[int]
) -> None:
    text, stops = case
    gate = StopFilter(tuple(stops))
    released = ""
    seen = ""
    for piece in _splits(text, cuts):
        seen += piece
        released += gate.feed(piece)
        if gate.stopped:
            return
        held = seen[len(released) :]
        # The held text is the start of some stop sequence, and nothing more.
        assert len(held) < max(map(len, stops))
        assert not held or any(stop.startswith(held) for stop in stops)
