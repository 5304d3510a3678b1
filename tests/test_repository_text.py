"""Comments, docstrings and docs state facts, not where they came from.

Write-ups kept outside the repository (of the wire protocol, of the interface, an issue, a
numbered section) point nowhere for a reader of the code, so none may be cited.
"""

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("src", "tests", "benchmarks", "docs", ".ci")
SUFFIXES = frozenset({".py", ".md", ".js", ".css", ".html", ".toml", ""})
# Built from pieces, so that this file does not match itself.
CITATION = re.compile(
    "|".join(("protocol" + " page", "interface" + " page", r"\bissue" + r" #?\d", "\u00a7")),
    re.IGNORECASE,
)


def scanned_files() -> list[Path]:
    files = [REPO_ROOT / "README.md", REPO_ROOT / "pyproject.toml"]
    for top in SCANNED:
        files += [
            path
            for path in sorted((REPO_ROOT / top).rglob("*"))
            if path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in path.parts
        ]
    return files


def test_no_text_cites_a_page_outside_the_repository() -> None:
    found = []
    for path in scanned_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if CITATION.search(line):
                found.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}")
    assert not found, "say the fact instead of citing:\n" + "\n".join(found)
