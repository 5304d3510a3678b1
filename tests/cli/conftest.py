"""Fixtures for the command-line tests: the installed console script, run as a subprocess.

The tests block in ``subprocess.run``, so the emulator they talk to runs on its own loop in a
thread (``Emulator.run_in_thread``), never on the test's event loop.
"""

from collections.abc import Iterator

import pytest

from aiodynaspark.testing import Emulator
from support.cli import CLI, find_script


@pytest.fixture(scope="session")
def cli() -> CLI:
    return CLI(find_script())


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator.run_in_thread(host="127.0.0.1", port=0) as emu:
        yield emu
