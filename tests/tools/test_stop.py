"""Stop sequences: the answer ends before the first one, however the stream is split."""

from hypothesis import given
from hypothesis import strategies as st

from aiodynaspark._tools._stop import StopFilter, cut_at_stop

_TEXT = st.text(alphabet="abc.\n", max_size=60)
_STOPS = st.lists(st.text(alphabet="abc.\n", min_size=1, max_size=4), min_size=1, max_size=4)


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


@given(_TEXT, _STOPS, st.lists(st.integers(0, 60), max_size=10))
def test_streamed_output_equals_the_whole_answer_cut_at_the_stop(
    text: str, stops: list[str], cuts: list[int]
) -> None:
    gate = StopFilter(tuple(stops))
    out = "".join(gate.feed(piece) for piece in _splits(text, cuts))
    if not gate.stopped:
        out += gate.flush()
    assert (out, gate.stopped) == cut_at_stop(text, tuple(stops))


@given(_TEXT, _STOPS, st.lists(st.integers(0, 60), max_size=10))
def test_only_what_could_still_become_a_stop_sequence_is_held_back(
    text: str, stops: list[str], cuts: list[int]
) -> None:
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
