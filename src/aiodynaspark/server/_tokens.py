"""The token estimate used where the service reports no count.

Dynaspark's web form reports no usage, and its tokenizer is not published. English text
averages about four characters per token in the tokenizers of the models it fronts, so a
count is the characters divided by four, rounded up: close enough for budgets and
``count_tokens``, never presented as exact.
"""

__all__ = ["estimate_tokens"]

_CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """Estimate how many tokens ``text`` holds (characters / 4, rounded up)."""
    return -(-len(text) // _CHARS_PER_TOKEN)
