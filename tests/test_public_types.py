"""Every public parameter and return annotation names only public types.

A user annotating their own code must be able to import each type the public surface takes
or returns from a public module, never from a private one (``aiodynaspark._wire``...).
"""

import importlib
import inspect
import types
import typing
from collections.abc import Iterator

import pytest

PUBLIC_MODULES = (
    "aiodynaspark",
    "aiodynaspark.client",
    "aiodynaspark.errors",
    "aiodynaspark.providers",
    "aiodynaspark.testing",
    "aiodynaspark.types",
)
# The resources reached through a client's attributes (their classes are not exported).
RESOURCES = ("chat.completions", "images", "audio.speech", "models")
# Public classes the library builds and hands out; a user never calls their constructor.
BUILT_BY_THE_LIBRARY = frozenset(
    {"AsyncStream", "Stream", "ChatResult", "PreparedChat", "WebFormChat", "RestChat"}
)
# The providers' send hooks, which the clients' chat engine drives with its private
# transport: public names since the original module's shape, not for users to call. Listed
# so that no other private type can slip in beside them.
ENGINE_HOOKS = frozenset(
    f"{provider}.{hook}(transport): aiodynaspark._wire._http.Transport"
    for provider in ("BaseProvider", "Dynaspark", "DynasparkAPI")
    for hook in ("complete", "stream_chat")
) | {
    # The routing's question before it chooses the REST API: does this chat's URL fit?
    "DynasparkAPI.url_overflow(transport): aiodynaspark._wire._http.Transport"
}


def _public_home() -> dict[int, str]:
    homes: dict[int, str] = {}
    for name in PUBLIC_MODULES:
        module = importlib.import_module(name)
        for attribute in module.__all__:
            homes.setdefault(id(getattr(module, attribute)), f"{name}.{attribute}")
    return homes


def _callables_of(owner: type, *, built_by_user: bool = True) -> Iterator[tuple[str, object]]:
    if built_by_user:
        yield f"{owner.__qualname__}.__init__", owner.__init__
    for name, member in vars(owner).items():
        function = member.__func__ if isinstance(member, classmethod | staticmethod) else member
        if not name.startswith("_") and inspect.isfunction(function):
            yield f"{owner.__qualname__}.{name}", function


def _surface() -> Iterator[tuple[str, object]]:
    """Every public function, the methods of every public class, and the resources'."""
    owners: list[type] = []
    resources: list[type] = []
    for name in PUBLIC_MODULES:
        module = importlib.import_module(name)
        for attribute in module.__all__:
            value = getattr(module, attribute)
            if inspect.isclass(value) and value.__module__.startswith("aiodynaspark"):
                owners.append(value)
            elif inspect.isfunction(value):
                yield f"{name}.{attribute}", value
    for client_class in (importlib.import_module("aiodynaspark.client").AsyncClient,):
        client = client_class(base_url="http://127.0.0.1:9")
        for path in RESOURCES:
            resource: object = client
            for part in path.split("."):
                resource = getattr(resource, part)
            resources.append(type(resource))
    for owner in dict.fromkeys(owners):
        yield from _callables_of(owner, built_by_user=owner.__name__ not in BUILT_BY_THE_LIBRARY)
    for resource_class in resources:  # built by the client, never by a user
        yield from _callables_of(resource_class, built_by_user=False)


def _classes(annotation: object) -> Iterator[type]:
    """Every class an annotation names, through unions, generics and literals."""
    if isinstance(annotation, type) and not isinstance(annotation, types.GenericAlias):
        yield annotation
    for argument in typing.get_args(annotation):
        if typing.get_origin(annotation) is not typing.Literal:
            yield from _classes(argument)
    origin = typing.get_origin(annotation)
    if isinstance(origin, type) and origin is not types.UnionType:
        yield origin


def _signatures() -> Iterator[tuple[str, dict[str, object]]]:
    for path, function in _surface():
        yield path, typing.get_type_hints(function)


def _private_types() -> list[str]:
    homes = _public_home()
    found = []
    for path, hints in _signatures():
        for parameter, annotation in hints.items():
            for cls in _classes(annotation):
                module = cls.__module__
                if not module.startswith("aiodynaspark"):
                    continue  # the standard library, aiohttp, pydantic: public where they are
                if id(cls) not in homes:
                    found.append(f"{path}({parameter}): {module}.{cls.__qualname__}")
    return found


def test_every_public_annotation_names_a_type_a_user_can_import() -> None:
    assert sorted(set(_private_types()) - ENGINE_HOOKS) == []


def test_the_check_reads_the_clients_and_their_resources() -> None:
    signatures = dict(_signatures())
    assert "attempt_observer" in signatures["AsyncClient.__init__"]
    assert "messages" in signatures["AsyncCompletions.create"]
    assert "time_limit" in signatures["AsyncClient.status"]
    assert "options" in signatures["AsyncCompletions.parse"]


def test_the_check_finds_a_private_type() -> None:
    from aiodynaspark._wire._http import Transport

    homes = _public_home()
    named = [cls for cls in _classes(Transport | None) if cls.__module__.startswith("aiodynaspark")]
    assert [cls for cls in named if id(cls) not in homes] == [Transport]


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_a_public_module_lists_its_names(module: str) -> None:
    assert importlib.import_module(module).__all__
