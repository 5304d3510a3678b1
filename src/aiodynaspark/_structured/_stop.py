"""Stop sequences: the answer ends just before the first one, streams included."""

__all__ = ["StopFilter", "cut_at_stop"]


def cut_at_stop(text: str, stops: tuple[str, ...]) -> tuple[str, bool]:
    """``text`` up to the first occurrence of any stop sequence, and whether one was found.

    Example:
        >>> cut_at_stop("one, two. three", (".",))
        ('one, two', True)
    """
    first = -1
    for stop in stops:
        found = text.find(stop)
        if found != -1 and (first == -1 or found < first):
            first = found
    return (text, False) if first == -1 else (text[:first], True)


class StopFilter:
    """Pass streamed text on, holding back only what could still become a stop sequence.

    A piece is released at once unless its end is the beginning of a stop sequence; that
    end waits for the next piece, which either completes the sequence (the stream stops
    before it) or shows it was not one (the held text goes out).

    Args:
        stops: The stop sequences, each non-empty.
    """

    def __init__(self, stops: tuple[str, ...]) -> None:
        self._stops = stops
        self._held = ""
        self.stopped = False

    def feed(self, piece: str) -> str:
        """Return the text that can go out now; sets :attr:`stopped` on a stop sequence."""
        if self.stopped:
            return ""
        text = self._held + piece
        kept, found = cut_at_stop(text, self._stops)
        if found:
            self._held = ""
            self.stopped = True
            return kept
        hold = self._longest_open_prefix(text)
        self._held = text[len(text) - hold :] if hold else ""
        return text[: len(text) - hold]

    def flush(self) -> str:
        """The held text, at the end of the stream (it did not become a stop sequence)."""
        held, self._held = self._held, ""
        return held

    def _longest_open_prefix(self, text: str) -> int:
        """The length of the longest end of ``text`` that begins some stop sequence."""
        longest = 0
        for stop in self._stops:
            for size in range(min(len(stop) - 1, len(text)), longest, -1):
                if text.endswith(stop[:size]):
                    longest = size
                    break
        return longest
