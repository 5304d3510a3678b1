"""Scenario 6: peak resident memory growth while ``Dynaspark`` sends a ~20 MB image.

Measured in a fresh child process (``python -m benchmarks._memory URL PATH SOURCE``): after
a small warm-up request, the kernel's peak counter is reset (``/proc/self/clear_refs``), and
the growth is the peak (``VmHWM``) less the resident size just before the request. With
``SOURCE`` ``path`` the library reads the file itself (that read is part of the growth);
with ``bytes`` the caller holds the image already (it is part of the baseline).
"""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from typing import Any

from ._common import MESSAGES, MODEL, PYTHON, ROOT, rss_kib

__all__ = ["image_size", "run_memory"]

MIB = 1024 * 1024


def image_size() -> int:
    """Just under the library's limit (``MAX_IMAGE_BYTES``, 20 MiB)."""
    from aiodynaspark._config import MAX_IMAGE_BYTES

    return MAX_IMAGE_BYTES - 4096


def _write_image(path: str, size: int) -> None:
    # A PNG signature and header chunk, then noise: the library checks the magic number only.
    head = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
    with open(path, "wb") as file:
        file.write(head + os.urandom(size - len(head)))


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as file:
            file.write("5")
    except OSError:
        return False
    return True


async def _send(url: str, media: Any) -> str:
    from aiodynaspark import Dynaspark

    pieces = [
        p
        async for p in Dynaspark.create_async_generator(MODEL, MESSAGES, media=media, base_url=url)
    ]
    return "".join(pieces)


def _child(url: str, path: str, source: str) -> dict[str, Any]:
    import resource

    import aiodynaspark  # noqa: F401 - loaded before the baseline, as in a running program

    small = os.path.join(os.path.dirname(path), "small.png")
    _write_image(small, 4096)
    asyncio.run(_send(url, [small]))  # warm-up: every module and pool path loaded once
    media: Any = [path] if source == "path" else [open(path, "rb").read()]  # noqa: SIM115
    reset = _reset_peak()
    before = rss_kib("self")
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    asyncio.run(_send(url, media))
    peak = rss_kib("self", "VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    base = before if reset else maxrss_before
    return {
        "source": source,
        "growth_kib": peak - base,
        "peak_reset": reset,
        "rss_before_kib": before,
    }


def run_memory(url: str) -> dict[str, Any]:
    """Send the image from a path and from bytes, each in a fresh process."""
    size = image_size()
    results: dict[str, Any] = {"image_bytes": size}
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), ROOT])),
    }
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "big.png")
        _write_image(path, size)
        for source in ("path", "bytes"):
            done = subprocess.run(
                [PYTHON, "-m", "benchmarks._memory", url, path, source],
                capture_output=True,
                text=True,
                timeout=120,
                env=env,
                cwd=ROOT,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"memory child failed: {done.stderr[-2000:]}")
            figures = json.loads(done.stdout)
            growth = figures["growth_kib"] * 1024
            results[source] = {
                "peak_growth_mib": round(growth / MIB, 1),
                "ratio_to_image": round(growth / size, 2),
                "peak_counter_reset": figures["peak_reset"],
            }
    return results


if __name__ == "__main__":
    print(json.dumps(_child(sys.argv[1], sys.argv[2], sys.argv[3])))
