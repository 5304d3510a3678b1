"""Measure a caller's JSON schema as data, before anything compiles it.

A schema comes from a stranger, so what it may make the gateway do is decided here, by a
walk that reads nothing and fetches nothing: references stay inside the document, nesting
is bounded, and the size it has with every ``$ref`` expanded where it is used is counted,
so a fan-out of references (each definition using the next twice) is refused after at most
:data:`MAX_SCHEMA_NODES` steps instead of costing ``2**n`` at every check.
"""

from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import unquote

from .._config import MAX_SCHEMA_DEPTH, MAX_SCHEMA_NODES
from .._errors import InvalidRequestError

__all__ = ["SchemaMeasure", "json_depth_over", "measure_schema"]

_REFERENCES = ("$ref", "$dynamicRef", "$recursiveRef")
# Keywords whose values are instances, not schemas: a "$ref" inside is only data.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples"})
_ANCHORS = ("$anchor", "$dynamicAnchor")
_KEYWORDS = frozenset({*_REFERENCES, *_ANCHORS, "$id", "id"})
# Keywords whose failure is described branch by branch (the costly part of wording an error).
_BRANCHING = frozenset({"anyOf", "oneOf"})


class SchemaMeasure(NamedTuple):
    """What checking against a schema may cost.

    Attributes:
        values: Its values with every reference expanded where it is used.
        branching: Whether it holds ``anyOf`` or ``oneOf``, whose failures are described
            branch by branch.
    """

    values: int
    branching: bool


_LOCAL_ONLY = (
    "Refer only to definitions inside the schema, as '#/$defs/<name>': nothing is fetched "
    "and no file is read."
)


def json_depth_over(value: object, bound: int) -> bool:
    """Whether ``value`` (plain JSON data) nests deeper than ``bound`` levels, without recursion."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > bound:
                    return True
                stack.append((child, depth + 1))
    return False


def _walk_document(
    schema: Mapping[str, Any], where: str
) -> tuple[int, dict[str, object], bool, bool]:
    """Check nesting, reference targets and embedded ids.

    Returns:
        The number of values, the anchors by name, whether any reference was seen, and
        whether any ``anyOf`` or ``oneOf`` was.
    """
    anchors: dict[str, object] = {}
    count = 1
    has_references = False
    branching = False
    stack: list[tuple[object, int, bool]] = [(schema, 1, False)]
    while stack:
        node, depth, is_data = stack.pop()
        if depth > MAX_SCHEMA_DEPTH:
            raise InvalidRequestError(
                f"{where} nests deeper than {MAX_SCHEMA_DEPTH} levels; flatten it with "
                "definitions ($defs) and references to them."
            )
        count += len(node)  # type: ignore[arg-type]
        if isinstance(node, dict):
            if not is_data and not _KEYWORDS.isdisjoint(node):
                has_references |= _check_keywords(node, where, node is schema, anchors)
            if not is_data and not branching:
                branching = not _BRANCHING.isdisjoint(node)
            for key, child in node.items():
                if type(child) is dict or type(child) is list:
                    stack.append((child, depth + 1, is_data or key in _DATA_KEYWORDS))
        else:
            for child in node:  # type: ignore[attr-defined]
                if type(child) is dict or type(child) is list:
                    stack.append((child, depth + 1, is_data))
    return count, anchors, has_references, branching


def _check_keywords(
    node: dict[str, Any], where: str, is_root: bool, anchors: dict[str, object]
) -> bool:
    """Check one schema object's reference, id and anchor keywords; whether it refers."""
    refers = False
    for key in _REFERENCES:
        target = node.get(key)
        if isinstance(target, str):
            if not target.startswith("#"):
                raise InvalidRequestError(f"{where} refers to {target!r} ({key}). {_LOCAL_ONLY}")
            refers = True
    for key in ("$id", "id"):
        ident = node.get(key)
        if not isinstance(ident, str):
            continue
        if ident.startswith("#"):  # draft 6 and 7 write a plain-name anchor this way
            anchors.setdefault(ident[1:], node)
        elif not is_root:
            # An embedded resource would give "#..." references a second meaning, which the
            # count below could not follow: one document, one base.
            raise InvalidRequestError(
                f"{where} embeds a schema resource ({key} {ident!r}); only the top level may "
                f"carry an {key}. Use $defs and '#/$defs/<name>' references instead."
            )
    for key in _ANCHORS:
        name = node.get(key)
        if isinstance(name, str):
            anchors.setdefault(name, node)
    return refers


def _resolve(root: Mapping[str, Any], reference: str, anchors: dict[str, object]) -> object:
    """The node ``reference`` (``#...``) names, or ``None`` when it names nothing."""
    fragment = unquote(reference[1:])
    if not fragment.startswith("/"):
        return root if fragment == "" else anchors.get(fragment)
    node: object = root
    for part in fragment[1:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def measure_schema(schema: Mapping[str, Any], where: str) -> SchemaMeasure:
    """Check ``schema`` as data and count its values with every reference expanded.

    Each object's expanded size is computed once and reused wherever it is referred to, so
    a fan-out is counted, never walked. A reference back into a definition it is already
    inside (recursion) counts once: the check follows it only as deep as the answer goes,
    and the answer's depth is bounded.

    Args:
        schema: The caller's schema, plain JSON data.
        where: The request field it came from, for messages.

    Returns:
        The number of values, references expanded (at most :data:`MAX_SCHEMA_NODES`), and
        whether the schema branches.

    Raises:
        InvalidRequestError: A reference outside the document, an embedded ``$id``, nesting
            deeper than :data:`MAX_SCHEMA_DEPTH`, or more than :data:`MAX_SCHEMA_NODES`
            values once expanded.
    """
    count, anchors, has_references, branching = _walk_document(schema, where)
    if has_references:
        count = _expanded_size(schema, anchors)
    if count > MAX_SCHEMA_NODES:
        raise InvalidRequestError(
            f"{where} holds more than {MAX_SCHEMA_NODES:,} values once its $ref references "
            "are expanded where they are used; reuse fewer definitions, or fewer times."
        )
    return SchemaMeasure(count, branching)


def _targets(
    root: Mapping[str, Any], node: dict[str, Any], anchors: dict[str, object]
) -> list[object]:
    found: list[object] = []
    for key in _REFERENCES:
        reference = node.get(key)
        if isinstance(reference, str):
            target = _resolve(root, reference, anchors)
            if type(target) is dict or type(target) is list:
                found.append(target)
    return found


def _expanded_size(root: Mapping[str, Any], anchors: dict[str, object]) -> int:
    """The values of ``root`` with each reference replaced by its target, memoised per object."""
    sizes: dict[int, int] = {}
    open_ids: set[int] = set()  # objects being sized: a reference to one is a cycle
    stack: list[tuple[Any, bool, bool]] = [(root, False, False)]
    while stack:
        node, is_data, leaving = stack.pop()
        key = id(node)
        if leaving:
            children = node.items() if type(node) is dict else enumerate(node)
            total = 1
            for _name, child in children:
                if type(child) is dict or type(child) is list:
                    total += sizes.get(id(child), 1)
                else:
                    total += 1
            if type(node) is dict and not is_data:
                total += sum(sizes.get(id(t), 1) for t in _targets(root, node, anchors))
            open_ids.discard(key)
            # Capped, so a fan-out's sizes stay small numbers however far it doubles.
            sizes[key] = min(total, MAX_SCHEMA_NODES + 1)
            continue
        if key in sizes or key in open_ids:
            continue
        open_ids.add(key)
        stack.append((node, is_data, True))
        if type(node) is dict:
            for name, child in node.items():
                if type(child) is dict or type(child) is list:
                    stack.append((child, is_data or name in _DATA_KEYWORDS, False))
            if not is_data:
                stack.extend((t, False, False) for t in _targets(root, node, anchors))
        else:
            stack.extend((child, is_data, False) for child in node if type(child) in (dict, list))
    return sizes[id(root)]
