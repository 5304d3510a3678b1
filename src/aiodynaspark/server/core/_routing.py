"""How a request reaches its route: the busy routes served directly, FastAPI's built on demand.

Building FastAPI's route for an endpoint analyses its parameters and models: it imports
``pydantic.v1`` (to check a model is not one) and builds a validator and serializer per
response model, about 2 MiB held by every gateway, for what serves a chat no better. The
routes are therefore declared as usual on a :class:`DeclaredRouter`, which keeps each
declaration instead of building it, and the app holds:

- a :class:`DirectRoute` per declared route whose endpoint takes nothing but one pydantic
  body, the ``Request`` and text path parameters: it validates the JSON object the input
  bounds already parsed (``middleware/_bounds.py``) with the body's model and calls the
  endpoint. FastAPI would read the body again, parse the ``Content-Type`` with the ``email``
  package, parse the JSON a second time and solve the parameters: about a tenth of the CPU of
  a plain chat. Anything off that path (another content type, a body that is not a JSON
  object, a body the model refuses) is handed to FastAPI's own route, which answers it in its
  usual words;
- then one :class:`DeferredRoutes` standing for every route as FastAPI builds it (the
  ``/openapi.json`` FastAPI adds among them), built at the first request that needs one:
  a route no direct one serves (a query parameter), a wrong method, the OpenAPI document.
  Built in a worker thread, once: the build takes tens of milliseconds, which on the event
  loop would stall every request in flight. The built routes then take its place, so the
  app's routes are those it always had, the direct ones in front.
"""

import asyncio
import inspect
import threading
import typing
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import URLPath
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound, Router, compile_path, request_response
from starlette.types import Receive, Scope, Send

from ._schemas import build_at_first_use

__all__ = ["PARSED_BODY", "DeclaredRouter", "DeferredRoutes", "DirectRoute", "direct_routes"]

PARSED_BODY = "aiodynaspark.parsed_body"
"""Scope key of the request's JSON object, parsed by the input bounds, when it is one."""

_ARGUMENTS = "aiodynaspark.arguments"
"""Scope key of the arguments a direct route found for its endpoint."""

Endpoint = Callable[..., Coroutine[Any, Any, Response]]


class DeclaredRouter(APIRouter):
    """An ``APIRouter`` that keeps its routes' declarations and builds them when asked."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.declared: list[tuple[str, Endpoint, dict[str, Any]]] = []
        self._built = False

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        """Keep the declaration; :meth:`build` makes the route."""
        self.declared.append((path, endpoint, options))

    def build(self) -> list[BaseRoute]:
        """FastAPI's routes, as declared, in order (built once, under ``_BUILDING``)."""
        if not self._built:
            self._built = True
            for path, endpoint, options in self.declared:
                for kind in typing.get_type_hints(endpoint).values():
                    # A body built at first use is built first: FastAPI's adapter of it is
                    # then built with the route, not at its first validation (on the loop).
                    if inspect.isclass(kind) and issubclass(kind, BaseModel):
                        build_at_first_use(kind)
                super().add_api_route(path, endpoint, **options)
        return self.routes


def _is_json(content_type: str | None) -> bool:
    # FastAPI parses the body as JSON for application/json and application/*+json; only the
    # common spelling takes the short path, any other goes to FastAPI to decide.
    if content_type is None:
        return False
    return content_type.partition(";")[0].strip().lower() == "application/json"


def _route_path(scope: Scope) -> str:
    """The path routes match: ``path`` less the ``root_path`` it starts with, as Starlette's."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        rest = path[len(root) :]
        if not rest or rest[0] == "/":
            return rest
    return path


def _content_type(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return str(value.decode("latin-1"))
    return None


# One build at a time, off the event loop: FastAPI's routes, or a body model built at its
# first request (whose build FastAPI's may start too).
_BUILDING = threading.Lock()


def _complete(model: type[BaseModel]) -> None:
    with _BUILDING:
        build_at_first_use(model)


class _Shape(typing.NamedTuple):
    body: tuple[str, type[BaseModel]] | None
    request: str | None
    path: tuple[str, ...]


def _shape(path: str, endpoint: Endpoint) -> _Shape | None:
    """What the endpoint takes, when a direct route can give it; else ``None``."""
    if not inspect.iscoroutinefunction(endpoint):
        return None
    hints = typing.get_type_hints(endpoint, include_extras=True)
    returns = hints.get("return")
    if not (inspect.isclass(returns) and issubclass(returns, Response)):
        return None
    path_names = compile_path(path)[2].keys()
    body: tuple[str, type[BaseModel]] | None = None
    request = None
    texts = []
    for name, parameter in inspect.signature(endpoint).parameters.items():
        kind = hints.get(name)
        if parameter.default is not inspect.Parameter.empty or not inspect.isclass(kind):
            return None  # a default may declare where FastAPI reads it (Query, Body ...)
        if issubclass(kind, Request):
            request = name
        elif kind is str and name in path_names:
            texts.append(name)
        elif issubclass(kind, BaseModel) and body is None:
            body = (name, kind)
        else:
            return None
    return _Shape(body, request, tuple(texts))


class DirectRoute(BaseRoute):
    """One declared route served without FastAPI: see the module's docstring.

    It matches only its own path and method; any other method goes on to FastAPI's routes,
    which answer the 405.
    """

    def __init__(
        self, router: DeclaredRouter, index: int, shape: _Shape, deferred: "DeferredRoutes"
    ) -> None:
        self.path, endpoint, options = router.declared[index]
        self.path_regex, self.path_format, _ = compile_path(self.path)
        self.methods = {method.upper() for method in options.get("methods") or ("GET",)}
        self.endpoint = endpoint
        self.name = endpoint.__name__
        self._router, self._index, self._shape, self._deferred = router, index, shape, deferred
        self._app = request_response(self._respond)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Full for this path and method; none otherwise."""
        if scope["type"] != "http" or scope["method"] not in self.methods:
            return Match.NONE, {}
        found = self.path_regex.match(_route_path(scope))
        if found is None:
            return Match.NONE, {}
        path_params = {**scope.get("path_params", {}), **found.groupdict()}
        return Match.FULL, {"endpoint": self.endpoint, "path_params": path_params, "route": self}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        """Named by FastAPI's route of the same declaration."""
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Call the endpoint, or hand the request to FastAPI's route."""
        shape = self._shape
        arguments: dict[str, Any] = {name: scope["path_params"][name] for name in shape.path}
        if shape.body is not None:
            name, model = shape.body
            if model.model_config.get("defer_build"):  # _schemas.py: BUILT_AT_FIRST_USE
                await asyncio.to_thread(_complete, model)
            data = scope.pop(PARSED_BODY, None)
            if type(data) is not dict or not _is_json(_content_type(scope)):
                await self._hand_on(scope, receive, send)
                return
            try:
                # As FastAPI validates a body field.
                arguments[name] = model.model_validate(data, from_attributes=True)
            except ValidationError:
                await self._hand_on(scope, receive, send)  # FastAPI words the refusal
                return
        scope[_ARGUMENTS] = arguments
        await self._app(scope, receive, send)

    async def _respond(self, request: Request) -> Response:
        arguments = request.scope.pop(_ARGUMENTS)
        if self._shape.request is not None:
            arguments[self._shape.request] = request
        return await self.endpoint(**arguments)

    async def _hand_on(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._deferred.built_soon()
        route = self._router.build()[self._index]
        _, child_scope = route.matches(scope)
        scope.update(child_scope)
        await route.handle(scope, receive, send)


class DeferredRoutes(BaseRoute):
    """Every route of the app as FastAPI builds it, built at the first request needing one.

    It matches every request whose path one of them has; it then builds them (in a worker
    thread), takes their place in ``owner``'s routes, and lets ``owner`` route the request
    again, as it routes every request after.

    Args:
        owner: The app's router, which holds this.
        framework: The routes FastAPI added itself (``/openapi.json``).
        routers: The declared routes, in the order they are matched.
    """

    def __init__(
        self, owner: Router, framework: Sequence[BaseRoute], routers: Sequence[DeclaredRouter]
    ) -> None:
        self._owner = owner
        self._framework = list(framework)
        self._routers = list(routers)
        self._paths = [
            compile_path(path)[0] for router in routers for path, _, _ in router.declared
        ]
        self._paths.extend(route.path_regex for route in framework if hasattr(route, "path_regex"))
        self._routes: list[BaseRoute] | None = None

    def routes(self) -> list[BaseRoute]:
        """The routes, built now in the calling thread if no one built them yet."""
        with _BUILDING:  # one build, however many threads ask together
            if self._routes is None:
                built = [*self._framework]
                for router in self._routers:
                    built.extend(router.build())
                self._routes = built
        return self._routes

    async def built_soon(self) -> list[BaseRoute]:
        """The routes, built in a worker thread when not yet built: the loop goes on serving."""
        if self._routes is not None:
            return self._routes
        return await asyncio.to_thread(self.routes)

    def in_place(self, routes: Sequence[BaseRoute]) -> list[BaseRoute]:
        """``routes`` with this one replaced by the routes it stands for."""
        listed: list[BaseRoute] = []
        for route in routes:
            listed.extend(self.routes() if route is self else (route,))
        return listed

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Full for any method on a path one of the routes has; the owner picks the route."""
        if scope["type"] == "http":
            path = _route_path(scope)
            if any(regex.match(path) for regex in self._paths):
                return Match.FULL, {}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        """The path of the named route."""
        for route in self.routes():
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Build the routes, put them in this one's place, and route the request again."""
        built = await self.built_soon()
        listed = self._owner.routes
        at = next((at for at, route in enumerate(listed) if route is self), None)
        if at is not None:  # else a request that came together put them there
            listed[at : at + 1] = built
        await self._owner.app(scope, receive, send)


def direct_routes(routers: Sequence[DeclaredRouter], deferred: DeferredRoutes) -> list[BaseRoute]:
    """A :class:`DirectRoute` for each declared route that can be served directly, in order."""
    direct: list[BaseRoute] = []
    for router in routers:
        if router.dependencies:
            continue
        for index, (path, endpoint, options) in enumerate(router.declared):
            shape = None if options.get("dependencies") else _shape(path, endpoint)
            if shape is not None:
                direct.append(DirectRoute(router, index, shape, deferred))
    return direct
