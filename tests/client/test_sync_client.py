"""``Client``: the synchronous face of the same implementation."""

import asyncio
import threading

import pytest

from aiodynaspark import Client, InvalidRequestError
from aiodynaspark.testing import Emulator, answer_for

USER = [{"role": "user", "content": "sync please"}]


@pytest.fixture
def emu_thread() -> Emulator:
    with Emulator.run_in_thread("127.0.0.1", 0) as emu:
        yield emu  # type: ignore[misc]


def test_plain_synchronous_code(emu_thread: Emulator) -> None:
    with Client(base_url=emu_thread.url) as client:
        done = client.chat.completions.create(messages=USER)
        chunks = list(client.chat.completions.create(messages=USER, stream=True))
        images = client.images.generate(prompt="x")
        speech = client.audio.speech.create(input="y")
        models = client.models.list()
    assert done.choices[0].message.content == answer_for("gemini-1.5-flash", "sync please")
    assert (
        "".join(c.choices[0].delta.content or "" for c in chunks) == done.choices[0].message.content
    )
    assert images.data[0].url
    assert speech.content.startswith(b"ID3")
    assert models.data
    assert len(emu_thread.peer_ports) <= 2  # one pool for the client's life


def test_from_a_thread_while_another_loop_runs(emu_thread: Emulator) -> None:
    results: list[str | None] = []

    def worker() -> None:
        with Client(base_url=emu_thread.url) as client:
            results.append(client.chat.completions.create(messages=USER).choices[0].message.content)

    async def main() -> None:
        thread = threading.Thread(target=worker)
        thread.start()
        # The loop keeps running while the worker calls.
        await asyncio.to_thread(thread.join, 10)

    asyncio.run(asyncio.wait_for(main(), 10))
    assert results == [answer_for("gemini-1.5-flash", "sync please")]


def test_refuses_to_block_a_running_loop(emu_thread: Emulator) -> None:
    async def main() -> None:
        with (
            Client(base_url=emu_thread.url) as client,
            pytest.raises(InvalidRequestError, match="AsyncClient"),
        ):
            client.chat.completions.create(messages=USER)

    asyncio.run(main())


def test_closed_client_refuses_clearly(emu_thread: Emulator) -> None:
    client = Client(base_url=emu_thread.url)
    client.close()
    client.close()  # idempotent
    with pytest.raises(RuntimeError, match="been closed"):
        client.models.list()


def test_session_keyword_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="AsyncClient"):
        Client(session=object())


def test_a_value_the_service_cannot_honour_is_refused_before_any_request(
    emu_thread: Emulator,
) -> None:
    with Client(base_url=emu_thread.url, max_retries=0) as client:
        with pytest.raises(InvalidRequestError, match="logprobs=True cannot be honoured"):
            client.chat.completions.create(messages=USER, logprobs=True)
        with pytest.raises(InvalidRequestError, match="logprobs=True cannot be honoured"):
            client.chat.completions.create(messages=USER, logprobs=True, stream=True)
    assert emu_thread.requests == []
