"""Scripted model replies: the emulator plays a model that answers what a test decides.

A test drives an agent loop by pushing the replies the "model" gives, in order (a tool
call, then a final answer), or by giving a function that computes each reply from what the
model was asked. Scripted replies are sent as they are: with ``json=true`` the REST API does
not wrap them, as a model in JSON mode writes its own JSON.
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["ChatTurn", "ModelScript", "ReplyFunction"]


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


ReplyFunction = Callable[[ChatTurn], str | None]
"""Computes a reply from the turn; ``None`` lets the emulator give its usual answer."""


class ModelScript:
    """The replies queued by a test, and the reply function, of one emulator."""

    def __init__(self) -> None:
        self.replies: deque[str] = deque()
        self.function: ReplyFunction | None = None

    def reply(self, turn: ChatTurn) -> str | None:
        """The next queued reply, else the function's reply, else ``None`` (the usual answer)."""
        if self.replies:
            return self.replies.popleft()
        if self.function is not None:
            return self.function(turn)
        return None

    def clear(self) -> None:
        """Forget queued replies and the function."""
        self.replies.clear()
        self.function = None
