"""Find the JSON object in a model's answer: tolerant of a code fence or text around it."""

import json
import re

__all__ = ["ObjectScanner", "TooDeepError", "find_object"]


class TooDeepError(ValueError):
    """The answer's JSON object nests too deeply to be parsed."""


# Each "{" tried costs a scan of the rest; an answer with more stray braces than this before
# its object is not following the contract anyway.
_MAX_CANDIDATES = 32
# What changes the scanner's state: a quote, a backslash, a brace.
_SPECIAL = re.compile(r'["\\{}]')


class ObjectScanner:
    """Follow text as it arrives and mark where its first JSON object starts and ends.

    Only braces outside strings count, so ``{"a": "}"}`` is one object. The scan jumps from
    one quote, backslash or brace to the next (a regular expression finds them), so a long
    answer costs a pass in C, not a Python step per character, however it is split.

    Attributes:
        start: Index of the object's ``{`` in the text fed so far, or ``None``.
        end: Index just past its closing ``}``, or ``None`` while it is open.
    """

    def __init__(self) -> None:
        self.start: int | None = None
        self.end: int | None = None
        self._seen = 0
        self._depth = 0
        self._in_string = False
        self._skip = -1  # the index of the character a backslash escapes

    def feed(self, piece: str) -> None:
        """Scan the next piece of the text."""
        offset = self._seen
        self._seen += len(piece)
        if self.end is not None:
            return
        position = 0
        if self.start is None:
            found = piece.find("{")
            if found == -1:
                return
            self.start = offset + found
            self._depth = 1
            position = found + 1
        for match in _SPECIAL.finditer(piece, position):
            at = offset + match.start()
            if at == self._skip:
                continue
            char = match.group()
            if self._in_string:
                if char == "\\":
                    self._skip = at + 1
                elif char == '"':
                    self._in_string = False
            elif char == '"':
                self._in_string = True
            elif char == "{":
                self._depth += 1
            elif char == "}":
                self._depth -= 1
                if self._depth == 0:
                    self.end = at + 1
                    return


def find_object(text: str) -> tuple[object, str] | None:
    """The first JSON object in ``text`` that parses, and its own text.

    A model may wrap the object in a code fence or put words around it; each ``{`` is tried
    in turn, so a brace in the words before the object does not hide it.

    Returns:
        The parsed object and the exact text it was read from, or ``None``.

    Raises:
        TooDeepError: The first object that closes nests past the parser's recursion limit.

    Example:
        >>> find_object('Sure! ```json\\n{"content": "hi"}\\n```')
        ({'content': 'hi'}, '{"content": "hi"}')
    """
    begin = text.find("{")
    for _ in range(_MAX_CANDIDATES):
        if begin == -1:
            break
        scanner = ObjectScanner()
        scanner.feed(text[begin:])
        if scanner.end is not None:
            candidate = text[begin : begin + scanner.end]
            try:
                return json.loads(candidate), candidate
            except ValueError:
                pass
            except RecursionError:
                # Nested past Python's own limit: no smaller candidate inside is the answer.
                raise TooDeepError from None
        begin = text.find("{", begin + 1)
    return None
