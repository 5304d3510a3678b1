"""The layers of docs/architecture.md: the gateway and the CLI stand on the clients' surface."""

import re
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
        for path in sorted((PACKAGE / layer).glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if REACH_THROUGH.search(line) and not line.lstrip().startswith("#")
    ]
    assert offending == []


def test_the_check_sees_the_old_reach_through() -> None:
    assert REACH_THROUGH.search("RemoteImageFetcher(lambda: self.client.transport.session)")
