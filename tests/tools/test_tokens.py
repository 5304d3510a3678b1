"""The token estimate and the max_tokens cut."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from aiodynaspark._structured._tokens import TokenBudget, cut_to_tokens, estimate_tokens


def test_english_text_counts_one_token_per_four_characters() -> None:
    assert estimate_tokens("a" * 40) == 10


def test_each_non_ascii_character_counts_as_a_token() -> None:
    assert estimate_tokens("日本語") == 3


@settings(deadline=None)  # CPU shared with other work: timing is not tested here
@given(st.text(max_size=80), st.text(max_size=80))
def test_a_longer_text_never_counts_fewer_tokens(head: str, tail: str) -> None:
    assert estimate_tokens(head + tail) >= estimate_tokens(head)


@settings(deadline=None)  # CPU shared with other work: timing is not tested here
@given(st.text(max_size=80))
def test_estimate_is_between_a_quarter_of_the_length_and_the_length(text: str) -> None:
    assert math.ceil(len(text) / 4) <= estimate_tokens(text) <= len(text)


@settings(deadline=None)  # CPU shared with other work: timing is not tested here
@given(st.text(max_size=120), st.integers(1, 40))
def test_cut_keeps_the_longest_prefix_within_the_limit(text: str, limit: int) -> None:
    kept, cut = cut_to_tokens(text, limit)
    assert text.startswith(kept)
    assert estimate_tokens(kept) <= limit
    assert cut == (kept != text)
    if cut:
        assert estimate_tokens(text[: len(kept) + 1]) > limit


@settings(deadline=None)  # CPU shared with other work: timing is not tested here
@given(st.text(max_size=120), st.integers(1, 40), st.lists(st.integers(0, 120), max_size=8))
def test_budget_over_pieces_lets_through_what_one_cut_keeps(
    text: str, limit: int, cuts: list[int]
) -> None:
    budget = TokenBudget(limit)
    points = sorted({min(cut, len(text)) for cut in cuts})
    out, last = "", 0
    for point in [*points, len(text)]:
        out += budget.take(text[last:point])
        last = point
    assert (out, budget.exhausted) == cut_to_tokens(text, limit)
