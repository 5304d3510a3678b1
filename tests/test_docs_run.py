"""Every code block of README.md and docs/*.md runs as written, against the emulator.

The convention a docs writer follows is in ``support.docs_blocks`` (and docs/testing.md, "Writing
docs"): ``python`` blocks run as saved files (``python block.py``); ``bash``/``console`` blocks run
their ``aiodynaspark``, ``curl`` and ``python`` commands; ``text``, ``json``, ``ini``,
``nginx``... are shown only; any other block says why on the line before its fence,
``<!-- not run: REASON -->``. An unlabelled block fails ``test_every_block_is_run_or_shown``.

Each block runs in its own subprocess and scratch directory (holding ``photo.jpg``, a tiny
PNG), bounded in time, with ``DYNASPARK_BASE_URL`` set to one shared emulator; the docs'
``127.0.0.1:8080`` is one shared gateway in front of it, ``127.0.0.1:8090`` the emulator.
The blocks run a few at a time in the background from the first test on, each test waiting
for its own, so the whole file costs about as long as its slowest blocks.
"""

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from aiodynaspark.testing import Emulator
from support.docs_blocks import (
    DOC_EMULATOR_PORT,
    DOC_GATEWAY_PORT,
    PYTHON_LANGUAGES,
    WARNING_LINE,
    Block,
    doc_files,
    find_blocks,
    python_program,
    shell_script,
)
from support.media import make_png
from support.ports import free_port

# The blocks share the documented ports' stand-ins and run a few at once themselves: under
# pytest-xdist they all stay in one process.
pytestmark = pytest.mark.xdist_group("docs")

# One block's whole run, servers included; a block that needs longer is a bug or a mistake.
BLOCK_SECONDS = 45.0
# Blocks run at once: subprocess start-up dominates, so a few overlap well even on 2 cores.
PARALLEL_BLOCKS = 3
GATEWAY_START_SECONDS = 10.0
# The key of the docs' gateway, as the README starts it: `aiodynaspark serve --api-key secret`.
DOC_API_KEY = "secret"
# The docs' sample files, made in each block's scratch directory.
FIXTURES = {"photo.jpg": make_png(8, 8)}
# Settings of the machine that must not reach a block: it sees only what the test sets.
_HIDDEN_ENV = (
    "DYNASPARK_API_KEY",
    "DYNASPARK_TIMEOUT",
    "DYNASPARK_MAX_RETRIES",
    "AIODYNASPARK_API_KEY",
    "AIODYNASPARK_GATEWAY_CONFIG",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)

ALL_BLOCKS = [block for path in doc_files() for block in find_blocks(path)]
RUN_BLOCKS = [block for block in ALL_BLOCKS if block.runs]
RUN_TEST = "test_block_runs_as_written_without_a_warning"


@dataclass(frozen=True)
class Outcome:
    """How one block's run ended."""

    returncode: int | None
    output: str
    stderr: str


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator.run_in_thread("127.0.0.1", 0, record=False) as emu:
        yield emu


@pytest.fixture(scope="module")
def gateway(emulator: Emulator) -> Iterator[str]:
    """The docs' 127.0.0.1:8080: a gateway under uvicorn in front of the emulator.

    It asks for the key the README's gateway is started with (``--api-key secret``), so a
    block that leaves the key out of one of its calls fails here as it would for a reader.
    """
    import uvicorn

    from aiodynaspark.server import create_app

    app = create_app(base_url=emulator.url, api_key=DOC_API_KEY, max_retries=0, timeout=10.0)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, name="docs-gateway", daemon=True)
    thread.start()
    deadline = time.monotonic() + GATEWAY_START_SECONDS
    while not server.started:
        assert thread.is_alive(), "the gateway did not start"
        assert time.monotonic() < deadline, "the gateway did not start in time"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(GATEWAY_START_SECONDS)


def block_env(emulator_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _HIDDEN_ENV}
    env.update(
        DYNASPARK_BASE_URL=emulator_url,
        DYNASPARK_TIMEOUT="15",
        NO_COLOR="1",
        TERM="dumb",
        # Shown once each, as a developer running with -W default would see them.
        PYTHONWARNINGS="default",
        # `python` and `aiodynaspark` in a block are this interpreter's.
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def run_block(block: Block, ports: dict[int, int], env: dict[str, str], root: Path) -> Outcome:
    """Run one block in a scratch directory of its own, bounded by ``BLOCK_SECONDS``."""
    workdir = root / block.ident.replace("/", "_").replace(":", "_")
    workdir.mkdir()
    for name, data in FIXTURES.items():
        (workdir / name).write_bytes(data)
    if block.language in PYTHON_LANGUAGES:
        (workdir / "block.py").write_text(python_program(block, ports), encoding="utf-8")
        argv = [sys.executable, "block.py"]
    else:
        (workdir / "block.sh").write_text(shell_script(block, ports, free_port), "utf-8")
        argv = ["bash", "block.sh"]
    # A session of its own: on timeout, the block's servers die with it.
    process = subprocess.Popen(
        argv,
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        output, errors = process.communicate(timeout=BLOCK_SECONDS)
        returncode: int | None = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        output, errors = process.communicate(timeout=10)
        returncode = None
    stderr = errors.decode(errors="replace")
    return Outcome(returncode, output.decode(errors="replace") + stderr, stderr)


@pytest.fixture(scope="module")
def outcomes(
    request: pytest.FixtureRequest,
    emulator: Emulator,
    gateway: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, "Future[Outcome]"]]:
    """Start every selected block in the background; each test waits for its own."""
    chosen = {item.name for item in request.session.items}
    selected = [block for block in RUN_BLOCKS if f"{RUN_TEST}[{block.ident}]" in chosen]
    ports = {
        DOC_GATEWAY_PORT: int(gateway.rsplit(":", 1)[1]),
        DOC_EMULATOR_PORT: int(emulator.url.rsplit(":", 1)[1]),
    }
    env = block_env(emulator.url)
    root = tmp_path_factory.mktemp("docs")
    with ThreadPoolExecutor(PARALLEL_BLOCKS, thread_name_prefix="docs-block") as pool:
        futures = {
            block.ident: pool.submit(run_block, block, ports, env, root) for block in selected
        }
        yield futures
        for future in futures.values():
            future.cancel()
    shutil.rmtree(root, ignore_errors=True)


def test_every_block_is_run_or_shown() -> None:
    problems = [f"{block.ident}: {problem}" for block in ALL_BLOCKS for problem in block.problems]
    assert not problems, "\n".join(problems)


def test_the_docs_have_blocks_to_run() -> None:
    # A parser that found nothing would make every other test pass vacuously.
    pages = {block.path for block in RUN_BLOCKS}
    assert {"README.md", "docs/cli.md", "docs/gateway.md"} <= pages
    assert len(RUN_BLOCKS) >= 15


@pytest.mark.timeout(BLOCK_SECONDS + 30)
@pytest.mark.parametrize("block", RUN_BLOCKS, ids=[block.ident for block in RUN_BLOCKS])
def test_block_runs_as_written_without_a_warning(
    block: Block, outcomes: dict[str, "Future[Outcome]"]
) -> None:
    # The blocks before this one are done: this one has started, or starts now.
    outcome = outcomes[block.ident].result(timeout=BLOCK_SECONDS + 15)
    assert outcome.returncode is not None, (
        f"{block.ident} ran over {BLOCK_SECONDS} s:\n{outcome.output[-3000:]}"
    )
    assert outcome.returncode == 0, (
        f"{block.ident} failed (exit {outcome.returncode}):\n{outcome.output[-3000:]}"
    )
    warnings = [line for line in outcome.stderr.splitlines() if WARNING_LINE.search(line)]
    assert not warnings, f"{block.ident} warned:\n" + "\n".join(warnings[:20])
