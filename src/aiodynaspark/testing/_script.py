"""Scripted model replies: the emulator plays a model that answers what a test decides.

A test drives an agent loop by pushing the replies the "model" gives, in order (a tool
call, then a final answer), or by giving a function that computes each reply from what the
model was asked. Scripted replies are sent as they are: with ``json=true`` the REST API does
not wrap them, as a model in JSON mode writes its own JSON.

A reply may wait for a prompt holding some text (``match``): it is then taken by the first
turn whose prompt holds it, so programs sharing one emulator do not take each other's.
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["MAX_QUEUED_REPLIES", "ChatTurn", "ModelScript", "ReplyFunction", "ScriptedReply"]

# Replies waiting at once: far more than a script of an agent loop needs, and a bound on what
# a control route or a replies file can make the emulator hold.
MAX_QUEUED_REPLIES = 10_000


@dataclass(frozen=True, slots=True)
class ChatTurn:
    """What the model is asked in one chat request.

    Attributes:
        endpoint: ``"web"`` (the form) or ``"rest"`` (the REST API).
        model: The model id.
        prompt: The ``user_input`` text.
        system: The REST ``system`` prompt, ``""`` when none (the web form has none: its
            system messages are in the prompt).
        json: Whether JSON mode was asked for.
    """

    endpoint: Literal["web", "rest"]
    model: str
    prompt: str
    system: str = ""
    json: bool = False

    @property
    def text(self) -> str:
        """The system prompt and the prompt together: all the model reads."""
        return f"{self.system}\n{self.prompt}" if self.system else self.prompt


@dataclass(frozen=True, slots=True)
class ScriptedReply:
    """One queued reply: the model's text, and the prompt text it waits for, if any."""

    text: str
    match: str | None = None

    def fits(self, turn: ChatTurn) -> bool:
        """Whether ``turn`` may take this reply."""
        return self.match is None or self.match in turn.text


ReplyFunction = Callable[[ChatTurn], str | None]
"""Computes a reply from the turn; ``None`` lets the emulator give its usual answer."""


class ModelScript:
    """The replies queued by a test, and the reply function, of one emulator."""

    def __init__(self) -> None:
        self.replies: deque[ScriptedReply] = deque()
        self.function: ReplyFunction | None = None

    def push(self, replies: list[ScriptedReply]) -> None:
        """Queue ``replies`` after those waiting.

        Raises:
            ValueError: More than :data:`MAX_QUEUED_REPLIES` would wait.
        """
        if len(self.replies) + len(replies) > MAX_QUEUED_REPLIES:
            raise ValueError(f"at most {MAX_QUEUED_REPLIES} replies may wait at once")
        self.replies.extend(replies)

    def reply(self, turn: ChatTurn) -> str | None:
        """The first queued reply ``turn`` fits, else the function's, else ``None``."""
        for index, reply in enumerate(self.replies):
            if reply.fits(turn):
                del self.replies[index]
                return reply.text
        if self.function is not None:
            return self.function(turn)
        return None

    def clear(self) -> None:
        """Forget queued replies and the function."""
        self.replies.clear()
        self.function = None
