"""The input items of a stored response, for ``GET /v1/responses/{id}/input_items``.

The items are written in OpenAI's item shape when the response is stored (each with an id, as
OpenAI gives them), and listed a page at a time in OpenAI's list shape: ``data``,
``first_id``, ``last_id``, ``has_more``, newest first unless ``order=asc``.
"""

from typing import Any, Literal

from ._schemas import FunctionCallItem, FunctionCallOutputItem, InputMessage, ResponsesRequest
from ._translate import new_item_id

__all__ = ["DEFAULT_PAGE", "MAX_PAGE", "input_items", "page_of_items"]

# OpenAI's documented default and greatest page size for list endpoints.
DEFAULT_PAGE = 20
MAX_PAGE = 100


def _message_item(item: InputMessage) -> dict[str, Any]:
    if isinstance(item.content, str):
        kind = "output_text" if item.role == "assistant" else "input_text"
        content: list[dict[str, Any]] = [{"type": kind, "text": item.content}]
    else:
        content = [part.model_dump(exclude_none=True) for part in item.content]
    return {
        "id": new_item_id("msg"),
        "type": "message",
        "role": item.role,
        "status": "completed",
        "content": content,
    }


def input_items(body: ResponsesRequest) -> list[dict[str, Any]]:
    """The request's ``input`` as OpenAI's input items, in the order given."""
    if isinstance(body.input, str):
        text = InputMessage(role="user", content=body.input)
        return [_message_item(text)]
    items: list[dict[str, Any]] = []
    for item in body.input:
        if isinstance(item, InputMessage):
            items.append(_message_item(item))
        elif isinstance(item, FunctionCallItem):
            call = item.model_dump(exclude_none=True)
            items.append({**call, "id": item.id or new_item_id("fc"), "status": "completed"})
        elif isinstance(item, FunctionCallOutputItem):
            output = item.model_dump(exclude_none=True)
            items.append({**output, "id": new_item_id("fco"), "status": "completed"})
    return items


def page_of_items(
    items: list[dict[str, Any]], *, limit: int, order: Literal["asc", "desc"], after: str | None
) -> dict[str, Any]:
    """One page of ``items`` in OpenAI's list shape.

    Args:
        items: The items, oldest first.
        limit: The most items on the page.
        order: ``desc`` (newest first, OpenAI's default) or ``asc``.
        after: The id of the item the page starts after; an unknown id gives an empty page.
    """
    ordered = list(reversed(items)) if order == "desc" else list(items)
    if after is not None:
        ids = [item["id"] for item in ordered]
        ordered = ordered[ids.index(after) + 1 :] if after in ids else []
    data = ordered[:limit]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": len(ordered) > limit,
    }
