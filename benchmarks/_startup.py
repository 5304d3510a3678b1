"""Scenario 5: start-up wall time of ``import aiodynaspark`` and ``aiodynaspark --help``."""

import os
import subprocess
import time
from typing import Any

from ._common import PYTHON, ROOT, median

__all__ = ["run_startup"]


def _time(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        check=True,
        timeout=30,
    )
    return time.perf_counter() - started


def run_startup(runs: int) -> dict[str, Any]:
    """Median wall time of each command over ``runs`` runs, taken in turns.

    ``python -c pass`` is the interpreter's own start-up, for scale.
    """
    script = os.path.join(os.path.dirname(PYTHON), "aiodynaspark")
    commands = {
        "python_bare": [PYTHON, "-c", "pass"],
        "import_aiodynaspark": [PYTHON, "-c", "import aiodynaspark"],
        "cli_help": [script, "--help"]
        if os.path.exists(script)
        else [PYTHON, "-m", "aiodynaspark.cli", "--help"],
    }
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), ROOT])),
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # warm the file cache
        _time(command, env)
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(_time(command, env))
    return {
        name: {
            "median_s": round(median(values), 4),
            "min_s": round(min(values), 4),
            "runs": len(values),
        }
        for name, values in times.items()
    }
