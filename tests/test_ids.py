"""Ids: one module mints them all, from :mod:`secrets`, with at least 128 random bits."""

import ast
import re
from pathlib import Path

from aiodynaspark import _ids
from aiodynaspark._structured._answer import new_call_id
from aiodynaspark.client._models import new_completion_id
from aiodynaspark.server.messages._translate import new_message_id
from aiodynaspark.server.responses._translate import new_item_id

SRC = Path(__file__).resolve().parents[1] / "src" / "aiodynaspark"
# Randomness that is not an id: retry jitter, and the emulator's seeded fault rates.
NOT_IDS = {"_wire/_retry.py", "testing/_state.py"}


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_every_minted_id_carries_at_least_128_random_hex_bits() -> None:
    minted = {
        "chatcmpl-": new_completion_id(),
        "call_": new_call_id(),
        "msg_": new_message_id(),
        "resp_": new_item_id("resp"),
    }
    for prefix, found in minted.items():
        assert re.fullmatch(re.escape(prefix) + r"[0-9a-f]{32,}", found), found


def test_the_id_module_draws_from_secrets_and_never_from_random() -> None:
    imported = _imported_modules(Path(_ids.__file__))
    assert "secrets" in imported
    assert not imported & {"random", "uuid"}


def test_no_other_module_of_the_package_imports_random_or_uuid() -> None:
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if str(path.relative_to(SRC)) not in NOT_IDS
        and _imported_modules(path) & {"random", "uuid"}
    ]
    assert offenders == []
