"""Naming the fields a request set that the gateway accepted and did not act on.

What the gateway ignores is declared in ``_chat_options.py``; an answer to a request that set
one carries ``x-aiodynaspark-ignored-params: name,name``, so a caller can see that its
``reasoning_effort`` (say) reached nobody, rather than nothing being said.
"""

from collections.abc import Iterable
from typing import get_args

from pydantic import BaseModel
from starlette.responses import Response

from ..._chat_options import Api, unhonoured_fields

__all__ = ["IGNORED_HEADER", "ignored_params", "name_ignored"]

IGNORED_HEADER = "x-aiodynaspark-ignored-params"
"""The answer header listing the request's ignored fields, comma-separated."""


def _ignored_names(api: Api) -> tuple[str, ...]:
    return tuple(o.name for o in unhonoured_fields(api) if o.gateway == "ignore")


# Worked out once: the check runs on every request, and most set none of these fields.
_IGNORED: dict[Api, tuple[str, ...]] = {api: _ignored_names(api) for api in get_args(Api)}


def ignored_params(body: BaseModel, api: Api) -> list[str]:
    """The declared ignored fields of ``api`` that ``body`` set, in declaration order."""
    given = body.model_fields_set
    return [name for name in _IGNORED[api] if name in given and getattr(body, name) is not None]


def name_ignored(response: Response, names: Iterable[str]) -> Response:
    """``response`` with the ignored fields in its header, when there are any."""
    listed = ",".join(names)
    if listed:
        response.headers[IGNORED_HEADER] = listed
    return response
