"""The layers of docs/architecture.md: imports only run downwards, and the gateway and the CLI
stand on the clients' public surface."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import aiodynaspark

PACKAGE = Path(aiodynaspark.__file__).parent
# What reaching past a client looks like: its transport, its pool, its private parts.
REACH_THROUGH = re.compile(r"client\.transport\b|\.transport\.session\b|client\._|\._async\b")


@pytest.mark.parametrize("layer", ["server", "cli"])
def test_a_layer_beside_the_clients_uses_only_their_public_surface(layer: str) -> None:
    offending = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if REACH_THROUGH.search(line) and not line.lstrip().startswith("#")
    ]
    assert offending == []


def test_the_check_sees_the_old_reach_through() -> None:
    assert REACH_THROUGH.search("RemoteImageFetcher(lambda: self.client.transport.session)")


def test_the_import_graph_keeps_every_layer_contract() -> None:
    """import-linter checks pyproject.toml's contracts on the real import graph."""
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports is not None, "import-linter is a dev dependency: pip install -e '.[dev]'"
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [lint_imports, "--no-cache"], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert "0 broken" in done.stdout
