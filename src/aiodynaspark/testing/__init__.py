"""A local Dynaspark server for tests, offline runs and benchmarks.

`Emulator` speaks both Dynaspark protocols (the web form and the REST API)
on a real socket, with deterministic answers (`answer_for`) and injectable
faults (`Fault`). It depends on aiohttp and the standard library only.

Example:
    >>> async with Emulator() as emu:  # doctest: +SKIP
    ...     emu.push(Fault.rate_limited(retry_after=2))
    ...     ...  # a client pointed at emu.url sees a 429, then an answer
"""

from ._answers import IMAGE_MODELS, VOICES, WEB_MODELS, answer_for
from ._emulator import Emulator
from ._faults import Fault
from ._quirks import Quirk
from ._records import RecordedRequest, UploadedFile
from ._script import ChatTurn

__all__ = [
    "IMAGE_MODELS",
    "VOICES",
    "WEB_MODELS",
    "ChatTurn",
    "Emulator",
    "Fault",
    "Quirk",
    "RecordedRequest",
    "UploadedFile",
    "answer_for",
]
