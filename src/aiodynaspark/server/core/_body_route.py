"""The routes that take a JSON body: the body parsed once, validated by its model directly.

The input bounds (``middleware/_bounds.py``) parse every JSON body before the route, to count
what it holds. FastAPI would then read the body again, parse the ``Content-Type`` with the
``email`` package, parse the JSON a second time and solve the route's parameters: about a
tenth of the gateway's CPU for a plain chat. A :class:`BodyRoute` takes the parsed body the
bounds left in the scope and validates it with the route's model; any request off that
path (another content type, a body that is not a JSON object, a body the model refuses) goes
to FastAPI's own handler, which answers it exactly as before, in the same words.
"""

import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

__all__ = ["PARSED_BODY", "BodyRoute"]

PARSED_BODY = "aiodynaspark.parsed_body"
"""Scope key of the request's JSON object, parsed by the input bounds, when it is one."""

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _is_json(content_type: str | None) -> bool:
    # FastAPI parses the body as JSON for application/json and application/*+json; only the
    # common spelling takes the short path, any other goes to FastAPI to decide.
    if content_type is None:
        return False
    return content_type.partition(";")[0].strip().lower() == "application/json"


class BodyRoute(APIRoute):
    """An ``APIRoute`` whose endpoint takes one pydantic body (and maybe the ``Request``).

    Routes of another shape (path, query or header parameters, dependencies, no body, an
    endpoint not declared to return a ``Response``) are handled by FastAPI alone.
    """

    def get_route_handler(self) -> Handler:
        """FastAPI's handler, with the short path in front of it when the route allows one."""
        general = super().get_route_handler()
        dependant = self.dependant
        if (
            dependant.path_params
            or dependant.query_params
            or dependant.header_params
            or dependant.cookie_params
            or dependant.dependencies
            or len(dependant.body_params) != 1
            or dependant.response_param_name
            or dependant.background_tasks_param_name
            or getattr(dependant.body_params[0].field_info, "embed", False)
        ):
            return general
        field = dependant.body_params[0]
        model = field.field_info.annotation
        returns = inspect.signature(self.endpoint).return_annotation
        if not (
            inspect.isclass(model)
            and issubclass(model, BaseModel)
            and inspect.isclass(returns)
            and issubclass(returns, Response)
            and inspect.iscoroutinefunction(self.endpoint)
        ):
            return general
        endpoint: Callable[..., Coroutine[Any, Any, Response]] = self.endpoint
        body_name = field.name
        request_name = dependant.request_param_name

        async def handler(request: Request) -> Response:
            data = request.scope.pop(PARSED_BODY, None)
            if type(data) is not dict or not _is_json(request.headers.get("content-type")):
                return await general(request)
            try:
                # As FastAPI validates a body field.
                body = model.model_validate(data, from_attributes=True)
            except ValidationError:
                return await general(request)  # FastAPI words the refusal
            if request_name is None:
                return await endpoint(**{body_name: body})
            return await endpoint(**{body_name: body, request_name: request})

        return handler
