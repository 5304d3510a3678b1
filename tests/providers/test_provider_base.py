"""What every provider shares: the synchronous entry point and the derived endpoint.

Each test here once let a mutation of the providers' base pass (docs/testing.md, "Mutation
testing").
"""

import socket
from collections.abc import Iterator

import pytest

from aiodynaspark import APIConnectionError, Dynaspark, DynasparkAPI, InvalidRequestError
from aiodynaspark.testing import Emulator
from support.media import PNG

USER = [{"role": "user", "content": "sync please"}]


@pytest.fixture
def emu_thread() -> Iterator[Emulator]:
    with Emulator.run_in_thread("127.0.0.1", 0) as emu:
        yield emu


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_subclass_derives_its_endpoint_from_its_own_root() -> None:
    class Mirror(Dynaspark):
        url = "http://127.0.0.1:8"
        endpoint_path = "/mirror"

    assert Mirror.api_endpoint == "http://127.0.0.1:8/mirror"


def test_create_completion_sends_the_model_it_is_given(emu_thread: Emulator) -> None:
    pieces = DynasparkAPI.create_completion(
        "gemini-2.0-flash", USER, base_url=emu_thread.url, stream=False
    )
    assert "".join(pieces)
    assert emu_thread.requests[0].query["model"] == "gemini-2.0-flash"


def test_create_completion_sends_the_image_it_is_given(emu_thread: Emulator) -> None:
    assert "".join(Dynaspark.create_completion("", USER, media=[PNG], base_url=emu_thread.url))
    upload = emu_thread.requests[0].file
    assert upload is not None
    assert upload.data == PNG


def test_create_completion_goes_through_the_given_proxy(emu_thread: Emulator) -> None:
    dead_proxy = f"http://127.0.0.1:{_closed_port()}"
    pieces = Dynaspark.create_completion(
        "", USER, proxy=dead_proxy, base_url=emu_thread.url, max_retries=0
    )
    with pytest.raises(APIConnectionError):
        list(pieces)
    assert emu_thread.requests == []


def test_create_completion_refuses_a_session() -> None:
    message = (
        "session= cannot be used with create_completion: an aiohttp session belongs to one "
        "event loop; use create_async_generator to reuse a session."
    )
    with pytest.raises(InvalidRequestError, match=f"^{message}$"):
        Dynaspark.create_completion("", USER, session=object())


async def test_create_completion_in_a_running_loop_names_itself_and_the_async_form() -> None:
    with pytest.raises(
        InvalidRequestError,
        match=r"^DynasparkAPI\.create_completion is synchronous .* use 'async for piece in "
        r"DynasparkAPI\.create_async_generator\(\.\.\.\)' instead",
    ):
        DynasparkAPI.create_completion("", USER)


@pytest.mark.parametrize(
    ("alias", "model"),
    [
        ("gemini", "gemini-1.5-flash"),
        ("gemini-flash", "gemini-2.0-flash"),
        ("gemini-flash-lite", "gemini-2.0-flash-lite"),
        ("gemini-1.5", "gemini-1.5-flash"),
        ("gemini-1.5-8b", "gemini-1.5-flash-8b"),
        ("gemini-2.0", "gemini-2.0-flash"),
        ("gemini-2.0-lite", "gemini-2.0-flash-lite"),
    ],
)
def test_each_alias_names_its_model(alias: str, model: str) -> None:
    assert Dynaspark.get_model(alias) == model
    assert DynasparkAPI.get_model(alias) == model
