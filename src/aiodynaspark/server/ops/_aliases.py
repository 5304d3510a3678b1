"""Model names the operator maps onto Dynaspark's models (``--model-alias NAME=MODEL``).

Clients default to their vendor's model names (``ChatOpenAI()`` sends ``gpt-4o-mini``, the
Anthropic SDK's examples ``claude-...``); an operator names what each means here. The rule,
in one function (:func:`resolve_alias`): a name the operator mapped becomes its model, before
anything else reads it (the caller key's model list, the client); any other name is left as
it is, for the library to resolve or refuse. An alias may not be a real model id: the id
would stop meaning itself.
"""

from collections.abc import Iterable, Mapping

from ..._catalog import CHAT_ALIASES, CHAT_MODELS

__all__ = ["alias_entries", "parse_aliases", "resolve_alias"]


def parse_aliases(entries: Iterable[str]) -> dict[str, str]:
    """The operator's ``NAME=MODEL`` entries as a mapping.

    Raises:
        ValueError: An entry without ``=``, an alias that is a model id, a target that is no
            chat model or alias, or one name given twice.
    """
    aliases: dict[str, str] = {}
    for entry in entries:
        name, equals, target = (part.strip() for part in entry.partition("="))
        if not equals or not name or not target:
            raise ValueError(
                f"model alias {entry!r} must be NAME=MODEL, say gpt-4o=gemini-2.0-flash"
            )
        if name in CHAT_MODELS:
            raise ValueError(f"model alias {name!r} is a model id; it cannot mean another model")
        if target not in CHAT_MODELS and target not in CHAT_ALIASES:
            raise ValueError(
                f"model alias {name!r} names {target!r}, which is no chat model; choose one of "
                f"{', '.join(CHAT_MODELS)}"
            )
        if name in aliases and aliases[name] != target:
            raise ValueError(f"model alias {name!r} is given twice, for different models")
        aliases[name] = target
    return aliases


def resolve_alias(aliases: Mapping[str, str], model: object) -> object:
    """The model an operator's alias names, or ``model`` unchanged (not a str, not mapped)."""
    if isinstance(model, str):
        return aliases.get(model, model)
    return model


def alias_entries(aliases: Mapping[str, str]) -> list[dict[str, object]]:
    """The aliases as ``/v1/models`` entries, each saying which model it stands for."""
    return [
        {"id": name, "object": "model", "created": 0, "owned_by": f"alias of {target}"}
        for name, target in sorted(aliases.items())
    ]
