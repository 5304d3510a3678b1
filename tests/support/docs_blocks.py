"""The code blocks of README.md and docs/*.md, read and turned into programs to run.

How a block is treated (this is the convention docs/testing.md gives writers):

- ``python``: saved as a file and run as ``python FILE``, as a reader would, so top-level
  ``await`` is a syntax error there too (``asyncio.run(main())``); its line numbers in a
  traceback are the Markdown file's.
- ``bash``, ``sh``, ``console``: the commands run in one bash script (``set -e``). In a
  ``console`` block only ``$ `` lines are commands; the lines after one are its output, and
  an output line starting ``error:`` means the command must fail with such a line.
  A command may start with ``aiodynaspark``, ``curl``, ``python``, ``echo``, ``export`` or
  ``kill``; ``pip install`` is skipped (the test runs where every extra is installed).
  ``aiodynaspark serve`` and ``aiodynaspark emulator`` start in the background on a port the
  system chooses, wait until they answer, and stop at the block's end (or at ``kill %N``);
  a later server on the same documented port replaces the earlier one. ``curl`` must get a
  2xx answer.
- ``text``, ``json``, ``ini``, ``nginx``, ``toml``, ``yaml``, ``dockerfile``, ``mermaid``,
  ``diff``: shown, not run (listings, output, configuration).
- Anything else that cannot run: the line before the fence says why,
  ``<!-- not run: REASON -->``.

A block with no language, another language, an indented code block, or a shell command
outside the list above is a failure, so that no block escapes the check unnoticed. Every
block's stderr is read for warnings (``ResourceWarning: Unclosed ...`` and the like, shown
because ``PYTHONWARNINGS=default``): a warning fails the block as an error would.
"""

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt

__all__ = [
    "DOC_GATEWAY_PORT",
    "Block",
    "find_blocks",
    "python_program",
    "shell_script",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
# The default ports the docs write: the gateway's and the emulator's.
DOC_GATEWAY_PORT = 8080
DOC_EMULATOR_PORT = 8090

PYTHON_LANGUAGES = frozenset({"python", "py"})
SHELL_LANGUAGES = frozenset({"bash", "sh", "shell", "console"})
SHOWN_LANGUAGES = frozenset(
    {"text", "json", "ini", "nginx", "toml", "yaml", "dockerfile", "mermaid", "diff"}
)
RUN_COMMANDS = frozenset({"aiodynaspark", "curl", "python", "python3", "echo", "export", "kill"})
_MARKER = re.compile(r"^<!--\s*not run:\s*(?P<reason>.*?)\s*-->\s*$")
_SEPARATORS = frozenset({"|", "||", "&&", ";", "&", "(", ")"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PIP_FIRST = re.compile(r"^\s*pip install\b[^&|;]*(?:&&\s*)?")
_LOOPBACK = re.compile(r"\b(?:127\.0\.0\.1|localhost):(?P<port>\d+)\b")
_PORT_OPTION = re.compile(r"--port[ =](?P<port>\d+)")
_HOST_OPTION = re.compile(r"--host[ =]\S+")
_CURL = re.compile(r"(^|[|&;(]\s*)curl\s")
_CURL_FAIL = re.compile(r"(?:^|\s)curl\s(?:.*\s)?(?:--fail|-f)\b", re.S)


@dataclass
class Block:
    """One fenced code block of a Markdown file."""

    path: str
    line: int
    language: str
    text: str
    not_run: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ident(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def runs(self) -> bool:
        """Whether the test runs this block."""
        if self.not_run is not None or self.problems:
            return False
        return self.language in PYTHON_LANGUAGES or self.language in SHELL_LANGUAGES


def doc_files() -> list[Path]:
    """README.md and every page under docs/."""
    return [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("**/*.md"))]


def find_blocks(path: Path) -> list[Block]:
    """Read every code block of ``path``, each classified, with its problems if any."""
    lines = path.read_text(encoding="utf-8").splitlines()
    name = path.relative_to(REPO_ROOT).as_posix()
    blocks = []
    for token in MarkdownIt("commonmark").parse("\n".join(lines)):
        if token.type not in ("fence", "code_block") or token.map is None:
            continue
        start = token.map[0]
        block = Block(name, start + 1, token.info.strip().split(" ")[0].lower(), token.content)
        marker = _marker_before(lines, start)
        if marker is not None:
            block.not_run = marker
            if not marker:
                block.problems.append("its '<!-- not run: -->' marker gives no reason")
        elif token.type == "code_block":
            block.problems.append("an indented code block: fence it and name its language")
        elif not block.language:
            block.problems.append("no language after the fence (```text for a listing)")
        elif block.language in SHELL_LANGUAGES:
            block.problems.extend(_unknown_commands(block))
            if not block.problems and not shell_commands(block):
                block.problems.append("nothing in it runs: mark it '<!-- not run: why -->'")
        elif block.language not in PYTHON_LANGUAGES | SHOWN_LANGUAGES:
            block.problems.append(f"language {block.language!r} is neither run nor shown")
        blocks.append(block)
    return blocks


def _marker_before(lines: list[str], fence_index: int) -> str | None:
    for index in range(fence_index - 1, -1, -1):
        if lines[index].strip():
            found = _MARKER.match(lines[index].strip())
            return found["reason"] if found else None
    return None


@dataclass
class Command:
    """One shell command of a block, with the output the docs show for it."""

    line: int
    text: str
    output: list[str] = field(default_factory=list)

    @property
    def expects_error(self) -> bool:
        return any(line.startswith("error:") for line in self.output)


def shell_commands(block: Block) -> list[Command]:
    """The commands of a shell block, continuation lines joined, ``pip install`` left out."""
    console = block.language == "console"
    commands: list[Command] = []
    pending: Command | None = None
    for offset, raw in enumerate(block.text.splitlines(), start=1):
        if pending is not None:
            pending.text += "\n" + raw
        elif console and not raw.startswith("$ "):
            if commands and raw.strip():
                commands[-1].output.append(raw)
            continue
        else:
            text = raw[2:] if console else raw
            if not _strip_comment(text).strip():
                continue
            pending = Command(block.line + offset, text)
        if pending.text.rstrip().endswith("\\"):
            continue
        pending.text = _PIP_FIRST.sub("", _strip_comment(pending.text)).strip()
        if pending.text:
            commands.append(pending)
        pending = None
    return commands


def _strip_comment(text: str) -> str:
    """``text`` without a trailing ``# comment`` (a ``#`` that starts a word, outside quotes)."""
    quote = ""
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or text[index - 1].isspace()):
            return text[:index].rstrip()
    return text


def _stages(text: str) -> list[list[str]]:
    lexer = shlex.shlex(text.replace("\\\n", " "), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    stages: list[list[str]] = [[]]
    for word in lexer:
        if word in _SEPARATORS:
            stages.append([])
        else:
            stages[-1].append(word)
    return [stage for stage in stages if stage]


def _first_word(stage: list[str]) -> str:
    words = [word for word in stage if not _ASSIGNMENT.match(word)]
    return words[0] if words else ""


def _unknown_commands(block: Block) -> list[str]:
    problems = []
    for command in shell_commands(block):
        for stage in _stages(command.text):
            if _first_word(stage) not in RUN_COMMANDS:
                problems.append(
                    f"line {command.line} runs {_first_word(stage)!r}: the test runs only "
                    f"{', '.join(sorted(RUN_COMMANDS))}; mark the block "
                    "'<!-- not run: why -->' or change the command"
                )
    return problems


def _server_kind(command: Command) -> str | None:
    """``serve`` or ``emulator`` when the command starts that server, else ``None``."""
    stages = _stages(command.text)
    words = [word for word in stages[0] if word != "-v"] if len(stages) == 1 else []
    if len(words) < 2 or words[0] != "aiodynaspark" or words[1] not in ("serve", "emulator"):
        return None
    return None if {"--help", "-h"} & set(words) else words[1]


def _doc_port(text: str, kind: str) -> int:
    """The port a server command listens on as the docs write it."""
    found = _PORT_OPTION.search(text)
    if found:
        return int(found["port"])
    return DOC_GATEWAY_PORT if kind == "serve" else DOC_EMULATOR_PORT


def _loopback(text: str, ports: dict[int, int]) -> str:
    def swap(found: re.Match[str]) -> str:
        port = int(found["port"])
        return f"127.0.0.1:{ports[port]}" if port in ports else found[0]

    return _LOOPBACK.sub(swap, text)


def python_program(block: Block, ports: dict[int, int]) -> str:
    """The block's source, its documented ports swapped for the test's, lines kept in place."""
    return "\n" * (block.line) + _loopback(block.text, ports)


# What a reader would notice on stderr besides the answer: a warning, or an object that
# Python's shutdown found unclosed ("Exception ignored in ...").
WARNING_LINE = re.compile(r"\b\w*Warning\b|Unclosed |Exception ignored")


# Helpers of every shell script: start a server in the background and wait for it, stop it.
_PRELUDE = """\
set -eo pipefail
declare -A __pids
__stop() { local pid=${__pids[$1]:-}; if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || :;
  wait "$pid" 2>/dev/null || :; unset "__pids[$1]"; fi; }
__serve() {
  local port=$1 probe=$2; shift 2
  __stop "$port"
  "$@" &
  __pids[$port]=$!
  for _ in $(seq 300); do
    if ! kill -0 "${__pids[$port]}" 2>/dev/null; then
      echo "docs: the server on port $port exited before it answered" >&2; return 1; fi
    if curl -sf --max-time 1 -o /dev/null "http://127.0.0.1:$port$probe"; then return 0; fi
    sleep 0.1
  done
  echo "docs: the server on port $port did not answer $probe within 30 s" >&2; return 1
}
trap 'for p in "${__pids[@]}"; do kill "$p" 2>/dev/null || :; done; wait' EXIT
"""


def shell_script(block: Block, shared: dict[int, int], free_port: Callable[[], int]) -> str:
    """The block as one bash script against the test's servers.

    Args:
        block: A shell block.
        shared: The test's own servers by documented port (gateway 8080, emulator 8090).
        free_port: Gives a port the system chose, for each server the block starts.
    """
    commands = shell_commands(block)
    ports = dict(shared)
    for command in commands:
        kind = _server_kind(command)
        if kind is not None:
            ports[_doc_port(command.text, kind)] = free_port()
    lines = [_PRELUDE]
    for command in commands:
        where = shlex.quote(f"{block.path}:{command.line}")
        lines.append(f"printf '>>> %s\\n' {where} >&2")
        lines.append(_shell_line(command, ports, where))
    return "\n".join(lines) + "\n"


def _shell_line(command: Command, ports: dict[int, int], where: str) -> str:
    text = command.text.rstrip()
    kind = _server_kind(command)
    if kind is not None:
        text = text.removesuffix("&").rstrip()
        port = ports[_doc_port(text, kind)]
        text = _HOST_OPTION.sub("--host 127.0.0.1", text)
        if _PORT_OPTION.search(text):
            text = _PORT_OPTION.sub(f"--port {port}", text)
        else:
            text = f"{text} --port {port}"
        probe = "/health" if kind == "serve" else "/status"
        return f"__serve {port} {probe} {_loopback(text, ports)}"
    # curl must get a 2xx answer; a call that says --fail itself keeps it (curl takes one).
    fail = "" if _CURL_FAIL.search(text) else "--fail-with-body "
    text = _CURL.sub(rf"\1curl {fail}--max-time 30 ", _loopback(text, ports))
    if not command.expects_error:
        return text
    return (
        f'if __out=$( {{ {text}\n}} 2>&1 ); then echo "docs: {where} succeeded, but the docs'
        ' show an error" >&2; exit 97; fi\n'
        f'case $__out in *error:*) ;; *) echo "docs: {where} failed without an error: line:'
        ' $__out" >&2; exit 97;; esac'
    )
