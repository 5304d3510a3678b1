"""Read OpenAI-style conversations, and flatten them into the one prompt the web form takes."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import InvalidRequestError

__all__ = [
    "ParsedMessage",
    "flatten_messages",
    "is_valid_unicode",
    "parse_messages",
    "plain_prompt",
]

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
_SYSTEM_ROLES = frozenset({"system", "developer"})


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """One message after checking: its role, its text, and the image URLs of its parts."""

    role: str
    text: str
    image_urls: tuple[str, ...] = ()

    @property
    def is_system(self) -> bool:
        """Whether the message is a system (or developer) instruction."""
        return self.role in _SYSTEM_ROLES


def _speaker(role: str) -> str:
    # OpenAI's newer models take "developer" for what older ones call "system"; the REST API
    # sends both as its system prompt, so the web form's prompt names both System too.
    return "System" if role in _SYSTEM_ROLES else role.capitalize()


def _part_image_url(part: Mapping[Any, Any], where: str) -> str:
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, Mapping) else image
    if not isinstance(url, str) or not url:
        raise InvalidRequestError(f"{where}: an image_url part needs image_url.url, a string.")
    return url


def _read_content(content: object, where: str) -> tuple[str, tuple[str, ...]]:
    if content is None:
        return "", ()
    if isinstance(content, str):
        return content, ()
    if not isinstance(content, list | tuple):
        raise InvalidRequestError(
            f"{where}: content must be a string or a list of content parts, "
            f"not {type(content).__name__}."
        )
    texts: list[str] = []
    images: list[str] = []
    for index, part in enumerate(content):
        here = f"{where}, part {index}"
        if isinstance(part, str):
            texts.append(part)
            continue
        if not isinstance(part, Mapping):
            raise InvalidRequestError(f"{here}: a content part must be an object.")
        kind = part.get("type")
        if kind == "text":
            text = part.get("text")
            if not isinstance(text, str):
                raise InvalidRequestError(f"{here}: a text part needs a string 'text'.")
            texts.append(text)
        elif kind == "image_url":
            images.append(_part_image_url(part, here))
        else:
            raise InvalidRequestError(
                f"{here}: unsupported content part type {kind!r}; use 'text' or 'image_url'."
            )
    return "\n".join(texts), tuple(images)


def is_valid_unicode(text: str) -> bool:
    """Whether ``text`` can be encoded to send: a str can hold a lone surrogate."""
    # ASCII never holds one, and the test costs far less than encoding.
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_messages(messages: object) -> list[ParsedMessage]:
    """Check a conversation and read each message's role, text and image URLs.

    Args:
        messages: A non-empty sequence of ``{"role": ..., "content": ...}`` mappings;
            content is a string, ``None`` or a list of OpenAI content parts (text parts are
            joined with newlines; ``image_url`` parts are collected, not turned into text).

    Returns:
        The messages, in order.

    Raises:
        InvalidRequestError: The conversation is empty or not in the OpenAI shape.
    """
    if isinstance(messages, str | bytes) or not isinstance(messages, list | tuple):
        raise InvalidRequestError(
            'messages must be a list of {"role": ..., "content": ...} objects, '
            f"not {type(messages).__name__}."
        )
    if not messages:
        raise InvalidRequestError("messages is empty: give at least one message.")
    parsed: list[ParsedMessage] = []
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, Mapping):
            raise InvalidRequestError(f"{where} must be an object with 'role' and 'content'.")
        role = message.get("role")
        if not isinstance(role, str) or role not in _ROLES:
            raise InvalidRequestError(
                f"{where}: role must be one of {', '.join(sorted(_ROLES))}, got {role!r}."
            )
        text, images = _read_content(message.get("content"), where)
        if not is_valid_unicode(text):
            raise InvalidRequestError(
                f"{where}: the text is not valid Unicode (it holds a lone surrogate)."
            )
        parsed.append(ParsedMessage(role, text, images))
    return parsed


def _plain_text(message: object) -> str | None:
    if type(message) is not dict:
        return None
    text = message.get("content")
    role = message.get("role")
    if type(text) is not str or type(role) is not str or role not in _ROLES:
        return None
    # ASCII asked here first: the commonest prompt, settled without is_valid_unicode's call.
    return text if text.isascii() or is_valid_unicode(text) else None


def plain_prompt(messages: object) -> str | None:
    """The prompt of the commonest conversation, built in one pass; ``None`` for any other.

    The common case is a list of plain dicts whose contents are all strings. For it, this
    gives what :func:`flatten_messages` gives, without building :class:`ParsedMessage`
    objects. Anything else (content parts, images, ``None`` content, any mistake) gives
    ``None``, and the caller takes the general path, which also words the errors.

    Example:
        >>> plain_prompt([{"role": "user", "content": "Hi"}])
        'Hi'
        >>> plain_prompt([{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]) is None
        True
    """
    if type(messages) is not list or not messages:
        return None
    if len(messages) == 1:
        return _plain_text(messages[0])
    lines = []
    for message in messages:
        text = _plain_text(message)
        if text is None:
            return None
        lines.append(f"{_speaker(message['role'])}: {text}")
    if messages[-1]["role"] != "assistant" or not messages[-1]["content"]:
        lines.append("Assistant:")
    return "\n".join(lines)


def flatten_messages(messages: object) -> str:
    """Flatten a conversation into the single prompt text the web form takes.

    The rule the original module used: exactly one message gives its text unchanged;
    otherwise each message becomes a line ``Role: text`` with the role capitalised (a
    ``developer`` message is ``System``, as on the REST API), and a last line ``Assistant:``
    asks the model to continue as the assistant. A conversation that ends with an assistant
    message (a prefill) ends with that line instead, so the model continues its text rather
    than starting a new turn, as Anthropic's API does.

    Args:
        messages: The conversation, as :func:`parse_messages` accepts it, or already parsed.

    Returns:
        The prompt.

    Raises:
        InvalidRequestError: The conversation is not in the OpenAI shape.

    Example:
        >>> flatten_messages([{"role": "user", "content": "Hi"}])
        'Hi'
        >>> print(flatten_messages([{"role": "system", "content": "Be brief."},
        ...                         {"role": "user", "content": "Hi"}]))
        System: Be brief.
        User: Hi
        Assistant:
    """
    if (
        isinstance(messages, list)
        and messages
        and all(isinstance(m, ParsedMessage) for m in messages)
    ):
        parsed: list[ParsedMessage] = messages
    else:
        parsed = parse_messages(messages)
    if len(parsed) == 1:
        return parsed[0].text
    lines = [f"{_speaker(m.role)}: {m.text}" for m in parsed]
    if parsed[-1].role != "assistant" or not parsed[-1].text:
        lines.append("Assistant:")
    return "\n".join(lines)
