"""Read a contract answer while it streams: content goes out as it arrives.

The model's JSON arrives in pieces. Under the tools contract, once the object is known to
be ``{"content": "..."}``, each new part of that string is released as it comes (the
partial-JSON parser of ``pydantic_core`` reads the unfinished string); tool calls are
released whole at the end, after their arguments are checked, so a broken call can still be
repaired. Under the schema contract the object's own text is the content, released as it
arrives and checked at the end.
"""

from pydantic_core import from_json

from ._answer import ModelAnswer, read_answer
from ._extract import ObjectScanner
from ._plan import AnswerPlan

__all__ = ["AnswerStream"]

# Below this many characters an answer object is read again at every piece.
_EVERY_PIECE_BELOW = 16 * 1024


class AnswerStream:
    """Feed the raw pieces of one contract answer; take the content to stream as it comes.

    Args:
        plan: The request's plan; its contract is ``tools`` or ``schema``.
    """

    def __init__(self, plan: AnswerPlan) -> None:
        self._plan = plan
        self._text: list[str] = []
        self._length = 0
        self._scanner = ObjectScanner()
        self._released = 0  # characters of content handed out
        self._readable = True  # False once the partial parser gave up on the text
        self._streams_content = plan.contract == "schema" or plan.schema is None
        self._reparse_at = 0  # the object's length at which it is read again

    @property
    def released(self) -> int:
        """How many characters of content went out."""
        return self._released

    @property
    def released_content(self) -> bool:
        """Whether any content went out: a repair can no longer replace the answer."""
        return self._released > 0

    def feed(self, piece: str) -> str:
        """Scan the next piece; return the new content to stream (often empty)."""
        offset = self._length
        self._text.append(piece)
        self._length += len(piece)
        self._scanner.feed(piece)
        start = self._scanner.start
        if start is None or not self._streams_content:
            return ""
        end = self._scanner.end if self._scanner.end is not None else self._length
        if self._plan.contract == "schema":
            # The object's own text is the content: this piece's share of it.
            fresh = piece[max(start, offset) - offset : max(end - offset, 0)]
            self._released += len(fresh)
            return fresh
        size = end - start
        if _EVERY_PIECE_BELOW <= size < self._reparse_at and self._scanner.end is None:
            return ""
        # Each read parses the object so far; reading again only once it has grown by a
        # quarter keeps a long answer's cost linear, and a short one streams piece by piece.
        self._reparse_at = size * 5 // 4
        text = "".join(self._text)
        self._text = [text]
        return self._content_delta(text[start:end])

    def _content_delta(self, partial: str) -> str:
        if not self._readable:
            return ""
        try:
            value = from_json(partial, allow_partial="trailing-strings")
        except ValueError:
            self._readable = False
            return ""
        if not isinstance(value, dict) or "tool_calls" in value:
            return ""
        content = value.get("content")
        if not isinstance(content, str) or len(content) <= self._released:
            return ""
        fresh = content[self._released :]
        self._released = len(content)
        return fresh

    def finish(self) -> ModelAnswer:
        """Read the whole answer under the contract.

        Returns:
            The checked answer; its content is what was released, when some was.

        Raises:
            AnswerRejected: The answer breaks the contract.
        """
        return read_answer("".join(self._text), self._plan)
