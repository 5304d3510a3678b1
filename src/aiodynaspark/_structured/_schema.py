"""JSON schema checks with ``jsonschema_rs``, a caller's schema treated as data.

``jsonschema_rs`` is used rather than the pure-Python ``jsonschema``: checking a 64 KB
schema against its meta-schema takes it about 20 ms, where ``jsonschema`` takes one to
two seconds on the event loop; its regular expressions run on Rust's ``regex`` engine
(RE2's dialect, linear time: no backtracking to exploit); it checks ``uniqueItems`` by
hashing; and it never fetches (``offline``). What it cannot bound (references fanning out,
deep nesting, a huge answer) is measured first: :mod:`._schema_shape` for the schema, and
the answer's values and depth here.
"""

import contextlib
from collections.abc import Mapping
from typing import Any

from .._config import MAX_ANSWER_DEPTH, MAX_EXPLAINED_WORK, MAX_VALIDATION_WORK
from .._errors import InvalidRequestError
from ._schema_shape import SchemaMeasure, json_depth_over, measure_schema

__all__ = ["SchemaValidator", "compile_schema", "count_values", "load_schema_engine"]

_TOP = "at (the top level):"


def count_values(value: object, bound: int) -> int:
    """How many JSON values ``value`` holds, itself included; stops counting past ``bound``."""
    count = 0
    stack = [value]
    while stack and count <= bound:
        node = stack.pop()
        count += 1
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return count


def load_schema_engine() -> None:
    """Import ``jsonschema_rs`` now, when it is installed.

    Its import takes 50-300 ms (more on a busy machine); a server calls this in a thread
    before its first request with a schema, so that its event loop does not wait for it.
    """
    with contextlib.suppress(ImportError):
        import jsonschema_rs  # noqa: F401


class SchemaValidator:
    """Checks values against one JSON schema (the draft its ``$schema`` names, else 2020-12).

    Args:
        validator: The compiled ``jsonschema_rs`` validator.
        where: The request field the schema came from, for error messages.
        measure: The schema's values with every reference expanded (the work per answer
            value), and whether it branches.
    """

    def __init__(self, validator: Any, where: str, measure: SchemaMeasure) -> None:
        self._validator = validator
        self._where = where
        self._size = measure.values
        self._branching = measure.branching

    def errors(self, value: object) -> list[str]:
        """What is wrong with ``value``, in words a model can act on; empty when it is valid.

        ``value`` is a parsed model answer. Its depth and its values times the schema's are
        bounded (:data:`MAX_ANSWER_DEPTH`, :data:`MAX_VALIDATION_WORK`), so a check never
        holds the event loop for long; past either, the answer is refused as broken.
        """
        if json_depth_over(value, MAX_ANSWER_DEPTH):
            return [f"{_TOP} the value nests deeper than {MAX_ANSWER_DEPTH} levels; flatten it."]
        most = MAX_VALIDATION_WORK // self._size
        values = count_values(value, most)
        if values > most:
            return [
                f"{_TOP} the value holds more than {most:,} JSON values, more than can be "
                "checked against this schema; answer with less."
            ]
        if self._validator.is_valid(value):
            return []
        if self._branching and values * self._size > MAX_EXPLAINED_WORK:
            return [f"{_TOP} the value does not match the schema."]
        import jsonschema_rs

        try:
            self._validator.validate(value)
        except jsonschema_rs.ValidationError as error:
            where = "/".join(str(part) for part in error.instance_path) or "(the top level)"
            return [f"at {where}: {error.message}"]
        return [f"{_TOP} the value does not match the schema."]


def compile_schema(schema: Mapping[str, Any], where: str) -> SchemaValidator:
    """Check that ``schema`` is a valid, bounded JSON schema and build its validator.

    Nothing is fetched or read: references point inside the document (``#...``).

    Args:
        schema: The caller's schema, plain JSON data.
        where: The request field it came from, for messages.

    Raises:
        InvalidRequestError: The schema is invalid, refers outside itself, is too deep or
            too large once its references are expanded, has a pattern outside RE2's dialect,
            or ``jsonschema_rs`` is not installed.
    """
    try:
        import jsonschema_rs
    except ImportError:
        raise InvalidRequestError(
            "Tools and json_schema answers are checked with the jsonschema_rs package, which "
            "is not installed: pip install 'aiodynaspark[tools]'."
        ) from None
    measure = measure_schema(schema, where)
    try:
        validator = jsonschema_rs.validator_for(
            dict(schema),
            validate_formats=False,  # "format" is a note for the model, as in OpenAI's API
            offline=True,
            pattern_options=jsonschema_rs.RegexOptions(),
        )
    except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError) as error:
        message = getattr(error, "message", None) or str(error).split("\n", 1)[0]
        hint = ""
        if "regex" in message:
            hint = " Patterns use RE2's syntax: no look-around and no back-references."
        raise InvalidRequestError(f"{where} is not a valid JSON schema: {message}.{hint}") from None
    return SchemaValidator(validator, where, measure)
