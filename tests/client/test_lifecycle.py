"""A client's life: open once, close once, and once closed refuse every request."""

import asyncio
import subprocess
import sys

import aiohttp
import pytest

from aiodynaspark import AsyncClient, Client
from aiodynaspark.testing import Emulator

USER = [{"role": "user", "content": "hi"}]
CLOSED = r"^Cannot send a request, as the client has been closed\.$"


async def test_a_closed_async_client_refuses_before_any_request(emu: Emulator) -> None:
    client = AsyncClient(base_url=emu.url, max_retries=0)
    async with asyncio.timeout(10):
        await client.chat.completions.create(messages=USER)
        await client.close()
        with pytest.raises(RuntimeError, match=CLOSED):
            await client.chat.completions.create(messages=USER)
        with pytest.raises(RuntimeError, match=CLOSED):
            await client.images.generate(prompt="a cat")
    assert len(emu.requests) == 1
    assert client.is_closed


async def test_a_closed_client_with_a_borrowed_session_refuses_and_leaves_it_open(
    emu: Emulator,
) -> None:
    async with aiohttp.ClientSession() as session:
        client = AsyncClient(base_url=emu.url, session=session)
        await client.close()
        with pytest.raises(RuntimeError, match=CLOSED):
            await asyncio.wait_for(client.chat.completions.create(messages=USER), 10)
        assert not session.closed
    assert emu.requests == []


async def test_async_with_twice_on_one_client_is_refused(emu: Emulator) -> None:
    async with AsyncClient(base_url=emu.url) as client:
        with pytest.raises(RuntimeError, match="more than once"):
            async with client:
                pass
        # The refused block did not close the pool under the first one.
        await asyncio.wait_for(client.chat.completions.create(messages=USER), 10)


async def test_a_closed_async_client_cannot_be_reopened(emu: Emulator) -> None:
    async with AsyncClient(base_url=emu.url) as client:
        pass
    with pytest.raises(RuntimeError, match="Cannot reopen"):
        async with client:
            pass


async def test_closing_twice_is_harmless(emu: Emulator) -> None:
    client = AsyncClient(base_url=emu.url)
    await client.close()
    await client.close()
    assert client.is_closed


def test_a_closed_sync_client_refuses_with_the_same_message() -> None:
    with Emulator.run_in_thread("127.0.0.1", 0) as emu:
        client = Client(base_url=emu.url, max_retries=0)
        client.close()
        with pytest.raises(RuntimeError, match=CLOSED):
            client.chat.completions.create(messages=USER)
        assert emu.requests == []


def test_with_twice_on_one_sync_client_is_refused() -> None:
    with Emulator.run_in_thread("127.0.0.1", 0) as emu, Client(base_url=emu.url) as client:
        with pytest.raises(RuntimeError, match="more than once"), client:
            pass
        assert client.chat.completions.create(messages=USER).choices[0].message.content
    with pytest.raises(RuntimeError, match="Cannot reopen"), client:
        pass


def test_a_sync_client_never_closed_leaves_no_warning_at_exit() -> None:
    # The README's one-liner: the client is never closed, and the interpreter exits.
    program = (
        "import sys\n"
        "from aiodynaspark import Client\n"
        "client = Client(base_url=sys.argv[1], max_retries=0)\n"
        "print(client.chat.completions.create(messages=[{'role': 'user', 'content': 'hi'}])"
        ".choices[0].message.content)\n"
    )
    with Emulator.run_in_thread("127.0.0.1", 0) as emu:
        done = subprocess.run(
            [sys.executable, "-W", "always", "-c", program, emu.url],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert done.stderr == ""
