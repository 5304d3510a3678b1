"""Input bounds: what one request may hold, checked before work grows with it.

The body-size limit alone does not bound the work: 30 MB of JSON can hold two million tiny
messages, which pydantic would turn into two million models (seconds of CPU and gigabytes)
before any count could be checked. The body is therefore read here with the standard JSON
parser under a counting hook that stops at the first message over the bound, and the
counts, the text and the model name are checked on the plain data, before validation.

The text budget is one count over the whole parsed body (see :func:`_text_over_budget`),
whatever the API: what a field holds goes upstream or into the store, whichever field it is.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import Scope

from .._errors import GatewayError
from ..core._routing import PARSED_BODY

__all__ = ["InputBounds", "bounds_refusal", "check_request"]

# The image part of each API: chat completions, Responses, Anthropic's Messages.
_IMAGE_PARTS = frozenset({"image_url", "input_image", "image"})
# Where each route keeps its conversation.
_CONVERSATIONS = {
    "/v1/chat/completions": "messages",
    "/v1/messages": "messages",
    "/v1/messages/count_tokens": "messages",
    "/v1/responses": "input",
}

# Besides the messages and their parts, a request holds a few objects of its own
# (response_format, stream_options, image_url ...).
_OTHER_OBJECTS = 64
# Bodies up to this size are parsed without the counting hook: at most about 30,000 objects.
_PLAIN_PARSE_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class InputBounds:
    """The input bounds of one gateway, from its settings (see ``docs/limits.md``)."""

    max_messages: int
    max_content_parts: int
    max_text_chars: int
    max_image_parts: int
    max_model_chars: int


class _OverBound(Exception):
    def __init__(self, error: GatewayError) -> None:
        self.error = error


def _over(what: str, count: str, bound: int, setting: str, param: str | None) -> _OverBound:
    return _OverBound(
        GatewayError(
            400,
            f"The request holds {count} {what}; this gateway takes at most {bound:,} "
            f"(setting {setting}, variable AIODYNASPARK_{setting.upper()}).",
            param=param,
            code="limit_exceeded",
        )
    )


def _counting_hook(bounds: InputBounds) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    objects = 0
    messages = 0
    most_objects = bounds.max_messages * (1 + 2 * bounds.max_content_parts) + _OTHER_OBJECTS

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal objects, messages
        objects += 1
        value = dict(pairs)
        if "role" in value:
            messages += 1
            if messages > bounds.max_messages:
                raise _over(
                    "messages",
                    f"more than {bounds.max_messages:,}",
                    bounds.max_messages,
                    "max_messages",
                    "messages",
                )
        if objects > most_objects:
            raise _over(
                "JSON objects",
                f"more than {most_objects:,}",
                most_objects,
                "max_content_parts",
                "messages",
            )
        return value

    return hook


def _parts(content: object) -> tuple[int, int]:
    """Number of parts, and of image parts, of one message's content."""
    if not isinstance(content, list):
        return 0, 0
    images = 0
    for part in content:
        if isinstance(part, dict):
            kind = part.get("type")
            if isinstance(kind, str) and kind in _IMAGE_PARTS:
                images += 1
    return len(content), images


def _text_over_budget(data: dict[str, Any], budget: int) -> tuple[int, str] | None:
    """The characters of text a body holds and the field that took it past ``budget``.

    Every string counts, object keys included, wherever it is: messages in every shape,
    ``system`` and ``instructions``, tool descriptions and schemas, tool outputs, tool call
    arguments. Only image parts are left out (their bytes are bounded by the body limit and
    the image count). Walked with a stack, not recursion: a deeply nested body cannot make
    the walk fail and the body pass unchecked.
    """
    chars = 0
    for name, value in data.items():
        chars += len(name)
        stack = [value]
        while stack:
            node = stack.pop()
            if isinstance(node, str):
                chars += len(node)
            elif isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                kind = node.get("type")
                if isinstance(kind, str) and kind in _IMAGE_PARTS:
                    continue
                for key, item in node.items():
                    chars += len(key)
                    stack.append(item)
        if chars > budget:
            return chars, name
    return None


def check_request(path: str, data: object, size: int, bounds: InputBounds) -> None:
    """Check one parsed request body against the bounds.

    Args:
        path: The request's path (which field holds its conversation).
        data: The parsed body.
        size: The body's length in bytes.
        bounds: The bounds.

    Raises:
        _OverBound: A bound is exceeded (its error names the bound and the setting).
    """
    if not isinstance(data, dict):
        return
    model = data.get("model")
    if isinstance(model, str) and len(model) > bounds.max_model_chars:
        raise _over(
            "characters of model name",
            f"{len(model):,}",
            bounds.max_model_chars,
            "max_model_chars",
            "model",
        )
    field = _CONVERSATIONS.get(path)
    messages = data.get(field) if field is not None else None
    images = 0
    if isinstance(messages, list):
        if len(messages) > bounds.max_messages:
            raise _over(
                "messages", f"{len(messages):,}", bounds.max_messages, "max_messages", "messages"
            )
        for index, message in enumerate(messages):
            if not isinstance(message, dict):
                continue
            parts, pictures = _parts(message.get("content"))
            if parts > bounds.max_content_parts:
                raise _over(
                    "content parts in one message",
                    f"{parts:,}",
                    bounds.max_content_parts,
                    "max_content_parts",
                    f"messages[{index}].content",
                )
            images += pictures
    if images > bounds.max_image_parts:
        raise _over(
            "image parts", f"{images:,}", bounds.max_image_parts, "max_image_parts", "messages"
        )
    # A JSON string takes at least a byte per character: a body no longer than the budget
    # cannot hold more text than it, and the plain path walks nothing.
    if size > bounds.max_text_chars:
        over = _text_over_budget(data, bounds.max_text_chars)
        if over is not None:
            raise _over(
                "characters of text",
                f"at least {over[0]:,}",
                bounds.max_text_chars,
                "max_text_chars",
                over[1],
            )


def bounds_refusal(scope: Scope, body: bytes, bounds: InputBounds) -> GatewayError | None:
    """The 400 naming the bound and its setting for a JSON body over a bound, else ``None``.

    The parsed body is left in the scope (``PARSED_BODY``) when it is a JSON object, for the
    route to validate without parsing it again. A body that is not JSON is passed on for the
    app to refuse in its usual words.

    Args:
        scope: The request's scope.
        body: The whole body, read within the size limit.
        bounds: The gateway's bounds.
    """
    try:
        if len(body) <= _PLAIN_PARSE_BYTES:
            # A body this short parses in microseconds whatever it holds, so it is parsed
            # without the counting hook (a Python call per object) and its counts are
            # checked on the plain data like any other.
            data = json.loads(body)
        else:
            data = json.loads(body, object_pairs_hook=_counting_hook(bounds))
        check_request(scope["path"], data, len(body), bounds)
    except _OverBound as over:
        return over.error
    except (ValueError, RecursionError):
        return None  # not JSON: the app answers that in its own words
    if type(data) is dict:
        scope[PARSED_BODY] = data  # the route validates it, not parsing it again
    return None
