"""Find the JSON object in a model's answer: tolerant of a code fence or text around it."""

import json

__all__ = ["ObjectScanner", "find_object"]

# Each "{" tried costs a scan of the rest; an answer with more stray braces than this before
# its object is not following the contract anyway.
_MAX_CANDIDATES = 32


class ObjectScanner:
    """Follow text as it arrives and mark where its first JSON object starts and ends.

    Only braces outside strings count, so ``{"a": "}"}`` is one object. The scan is linear:
    each character is looked at once, however the text is split.

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
        self._escaped = False

    def feed(self, piece: str) -> None:
        """Scan the next piece of the text."""
        if self.end is not None:
            self._seen += len(piece)
            return
        offset = self._seen
        self._seen += len(piece)
        position = 0
        if self.start is None:
            found = piece.find("{")
            if found == -1:
                return
            self.start = offset + found
            self._depth = 1
            position = found + 1
        for index in range(position, len(piece)):
            char = piece[index]
            if self._in_string:
                if self._escaped:
                    self._escaped = False
                elif char == "\\":
                    self._escaped = True
                elif char == '"':
                    self._in_string = False
            elif char == '"':
                self._in_string = True
            elif char == "{":
                self._depth += 1
            elif char == "}":
                self._depth -= 1
                if self._depth == 0:
                    self.end = offset + index + 1
                    return


def find_object(text: str) -> tuple[object, str] | None:
    """The first JSON object in ``text`` that parses, and its own text.

    A model may wrap the object in a code fence or put words around it; each ``{`` is tried
    in turn, so a brace in the words before the object does not hide it.

    Returns:
        The parsed object and the exact text it was read from, or ``None``.

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
        begin = text.find("{", begin + 1)
    return None
