"""The token estimate: usage when the service reports none, and the ``max_tokens`` cut.

Dynaspark reports token counts only on whole REST answers, and no tokenizer ships with the
library (the usual ones download their tables at run time). The estimate is the rule of
thumb OpenAI gives for English text, one token per four characters, made safe for other
scripts, where a character is often a token of its own:

    tokens(text) = ceil(ASCII characters / 4) + other characters

It is monotone (a longer text never counts fewer tokens) and close enough to bound an
answer's length; it is not the model's own count.
"""

import math

__all__ = [
    "TokenBudget",
    "cut_to_tokens",
    "estimate_prompt_tokens",
    "estimate_tokens",
    "estimated_usage",
    "usage_counts",
]

# OpenAI's rule of thumb: a token is about four characters of English text.
CHARS_PER_TOKEN = 4


def _counts(text: str) -> tuple[int, int]:
    """ASCII characters and other characters of ``text``."""
    if text.isascii():
        return len(text), 0
    ascii_count = len(text.encode("ascii", "ignore"))
    return ascii_count, len(text) - ascii_count


def _tokens(ascii_count: int, other_count: int) -> int:
    return math.ceil(ascii_count / CHARS_PER_TOKEN) + other_count


def estimate_tokens(text: str) -> int:
    """Estimate the tokens of ``text`` (the module's rule); 0 for an empty text.

    Example:
        >>> estimate_tokens("Hello, world")
        3
    """
    if text.isascii():
        # Every answer's usage is estimated: ASCII text, the commonest, without the helpers'
        # calls and the float division (ceiling by negated floor division).
        return -(-len(text) // CHARS_PER_TOKEN)
    return _tokens(*_counts(text))


class TokenBudget:
    """Let text through until an estimated number of tokens is spent.

    Feed the pieces of an answer in order; the concatenation of what comes back is the
    longest prefix of the whole answer whose estimate is within the limit.

    Args:
        limit: The most tokens let through, at least 1.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.exhausted = False
        self._ascii = 0
        self._other = 0

    def take(self, piece: str) -> str:
        """Return the part of ``piece`` that fits; sets :attr:`exhausted` when some did not."""
        if self.exhausted:
            return ""
        ascii_count, other_count = _counts(piece)
        if _tokens(self._ascii + ascii_count, self._other + other_count) <= self.limit:
            self._ascii += ascii_count
            self._other += other_count
            return piece
        # The estimate grows with the prefix, so the longest prefix that fits is found by
        # bisection.
        low, high = 0, len(piece)
        while low < high:
            middle = (low + high + 1) // 2
            a, o = _counts(piece[:middle])
            if _tokens(self._ascii + a, self._other + o) <= self.limit:
                low = middle
            else:
                high = middle - 1
        kept = piece[:low]
        a, o = _counts(kept)
        self._ascii += a
        self._other += o
        self.exhausted = True
        return kept


def cut_to_tokens(text: str, limit: int) -> tuple[str, bool]:
    """The longest prefix of ``text`` within ``limit`` estimated tokens, and whether it was cut.

    Example:
        >>> cut_to_tokens("abcdefghij", 2)
        ('abcdefgh', True)
    """
    budget = TokenBudget(limit)
    kept = budget.take(text)
    return kept, budget.exhausted


def estimate_prompt_tokens(messages: object) -> int:
    """Estimate the tokens of a conversation: the text of every message (images not counted).

    Example:
        >>> estimate_prompt_tokens([{"role": "user", "content": "Hello, world"}])
        3
    """
    if not isinstance(messages, (list, tuple)):
        return 0
    total = 0
    for message in messages:
        # Exact type tests first: they settle plain dicts and strings without isinstance.
        is_dict = type(message) is dict or isinstance(message, dict)
        content = message.get("content") if is_dict else None
        if type(content) is str or isinstance(content, str):
            # estimate_tokens' ASCII case inline: one call fewer per message of every request.
            if content.isascii():
                total += -(-len(content) // CHARS_PER_TOKEN)
            else:
                total += estimate_tokens(content)
        elif isinstance(content, list | tuple):
            for part in content:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    total += estimate_tokens(part["text"])
    return total


def usage_counts(prompt: int, completion: int) -> dict[str, int]:
    """Usage in the OpenAI shape from its two counts."""
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def estimated_usage(messages: object, answer: str) -> dict[str, int]:
    """Usage by the estimate, for a whole answer the service gave no counts for.

    Example:
        >>> estimated_usage([{"role": "user", "content": "Hello, world"}], "Hi")
        {'prompt_tokens': 3, 'completion_tokens': 1, 'total_tokens': 4}
    """
    prompt = estimate_prompt_tokens(messages)
    # estimate_tokens' ASCII case and usage_counts inline: every plain answer comes here.
    completion = -(-len(answer) // CHARS_PER_TOKEN) if answer.isascii() else estimate_tokens(answer)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
