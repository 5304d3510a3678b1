"""JSON schema checks, with ``jsonschema`` loaded only when a request uses a schema."""

from collections.abc import Mapping
from typing import Any

from .._errors import InvalidRequestError

__all__ = ["SchemaValidator", "compile_schema"]

# A model's answer can break a schema in many places; the first few are enough to repair it.
_MAX_ERRORS = 5


class SchemaValidator:
    """Checks values against one JSON schema (the draft its ``$schema`` names, else 2020-12).

    Args:
        validator: A ``jsonschema`` validator instance for the schema.
        where: The request field the schema came from, for error messages.
    """

    def __init__(self, validator: Any, where: str) -> None:
        self._validator = validator
        self._where = where

    def errors(self, value: object) -> list[str]:
        """What is wrong with ``value``, in words a model can act on; empty when it is valid.

        Raises:
            InvalidRequestError: The schema cannot be applied (a ``$ref`` it cannot resolve:
                nothing is fetched from the network).
        """
        found = []
        try:
            for error in self._validator.iter_errors(value):
                where = "/".join(str(part) for part in error.absolute_path) or "(the top level)"
                found.append(f"at {where}: {error.message}")
                if len(found) == _MAX_ERRORS:
                    break
        except InvalidRequestError:
            raise
        except Exception as error:  # jsonschema's and referencing's own, on a bad schema
            raise InvalidRequestError(
                f"{self._where} cannot be applied: {type(error).__name__}: {error}. Refer "
                "only to definitions inside the schema ($defs)."
            ) from None
        return found


def compile_schema(schema: Mapping[str, Any], where: str) -> SchemaValidator:
    """Check that ``schema`` is a valid JSON schema and build its validator.

    Raises:
        InvalidRequestError: The schema is invalid, or ``jsonschema`` is not installed.
    """
    try:
        import jsonschema
        from jsonschema.exceptions import SchemaError
    except ImportError:
        raise InvalidRequestError(
            "Tools and json_schema answers are checked with the jsonschema package, which "
            "is not installed: pip install 'aiodynaspark[tools]'."
        ) from None
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(dict(schema))
    except SchemaError as error:
        raise InvalidRequestError(f"{where} is not a valid JSON schema: {error.message}") from None
    return SchemaValidator(cls(schema), where)
