"""The gateway passes an upstream wait on, in whole seconds, never rounded down to zero."""

from aiodynaspark._wire._status_errors import status_error
from aiodynaspark.server._errors import from_library_error
from aiodynaspark.testing import Emulator, Fault
from support.gateway import fetch

CHAT = {"messages": [{"role": "user", "content": "hi"}]}


async def test_gateway_passes_a_503_retry_after_on(gateway: str, emu: Emulator) -> None:
    emu.push(Fault.status(503, headers={"Retry-After": "7"}))
    answer = await fetch("POST", gateway + "/v1/chat/completions", json=CHAT)
    assert answer.status == 503
    assert answer.headers["retry-after"] == "7"


def test_fractional_retry_after_is_rounded_up_not_to_zero() -> None:
    error = status_error(429, "{}", {"retry-after": "0.4"}, url="http://x", now=0.0)
    assert dict(from_library_error(error).headers)["retry-after"] == "1"
