"""The transport: connection reuse, load with faults, proxies."""

import asyncio
import gc
import logging
import warnings

import pytest

from aiodynaspark import APIConnectionError, AsyncClient, Dynaspark, DynasparkAPI
from aiodynaspark.testing import Emulator, Fault, answer_for
from support.forward_proxy import ForwardProxy
from support.media import collect

USER = [{"role": "user", "content": "ping"}]


async def test_thirty_sequential_requests_use_at_most_two_connections(emu: Emulator) -> None:
    async with AsyncClient(base_url=emu.url) as client:
        async with asyncio.timeout(20):
            for _ in range(30):
                await client.chat.completions.create(messages=USER)
    assert len(emu.requests) == 30
    assert len(emu.peer_ports) <= 2


@pytest.mark.load
async def test_thousand_requests_at_concurrency_100_with_5_percent_503s() -> None:
    async with Emulator(record=False) as emu:
        emu.fail_randomly(Fault.status(503), rate=0.05, seed=3)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            async with AsyncClient(base_url=emu.url, max_retries=4, backoff_base=0.01) as client:
                gate = asyncio.Semaphore(100)

                async def one(i: int) -> str | None:
                    async with gate:
                        done = await client.chat.completions.create(
                            messages=[{"role": "user", "content": f"n{i}"}]
                        )
                        return done.choices[0].message.content

                async with asyncio.timeout(60):
                    answers = await asyncio.gather(*(one(i) for i in range(1000)))
            gc.collect()
        assert answers == [answer_for("gemini-1.5-flash", f"n{i}") for i in range(1000)]
        assert len(emu.peer_ports) <= 100 + 10
    messages = [str(w.message) for w in caught]
    assert not [m for m in messages if "Unclosed" in m], messages


async def test_connection_limit_caps_simultaneous_connections(emu: Emulator) -> None:
    emu.latency = 0.05
    async with AsyncClient(base_url=emu.url, connection_limit=3) as client:
        async with asyncio.timeout(20):
            await asyncio.gather(
                *(client.chat.completions.create(messages=USER) for _ in range(12))
            )
    assert len(emu.peer_ports) <= 3


async def test_standalone_calls_close_their_own_session(emu: Emulator) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            await collect(Dynaspark.create_async_generator("", USER, base_url=emu.url))
        gc.collect()
    assert not [w for w in caught if "Unclosed" in str(w.message)]
    assert len(emu.peer_ports) == 3


async def test_abandoned_stream_releases_its_connection(emu: Emulator) -> None:
    async with AsyncClient(base_url=emu.url) as client:
        stream = await client.chat.completions.create(
            messages=[{"role": "user", "content": "a b c d"}], stream=True
        )
        async with asyncio.timeout(5):
            await anext(stream)
        await stream.aclose()
        done = await client.chat.completions.create(messages=USER)
    assert done.choices[0].message.content == answer_for("gemini-1.5-flash", "ping")


async def test_proxy_keyword_routes_through_the_proxy_without_logging_credentials(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aiodynaspark")
    async with ForwardProxy() as proxy:
        url = proxy.url.replace("http://", "http://user:s3cret@")
        text = await collect(
            Dynaspark.create_async_generator("", USER, base_url=emu.url, proxy=url)
        )
    assert text == answer_for("gemini-1.5-flash", "ping")
    [(line, auth)] = proxy.seen
    assert line.startswith(f"POST {emu.url}/generate_response ")
    assert auth is not None and auth.startswith("Basic ")
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "s3cret" not in logged
    assert "proxy=http://***@127.0.0.1" in logged


async def test_proxy_environment_is_used_when_trusted(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with ForwardProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "")
        async with AsyncClient(base_url=emu.url) as client:
            await client.chat.completions.create(messages=USER, temperature=0.1)
        async with AsyncClient(base_url=emu.url, trust_env=False) as client:
            await client.chat.completions.create(messages=USER)
    assert len(proxy.seen) == 1
    assert proxy.seen[0][0].startswith(f"GET {emu.url}/api/generate_response?")
    assert len(emu.requests) == 2


async def test_unreachable_proxy_is_a_connection_error(emu: Emulator) -> None:
    with pytest.raises(APIConnectionError, match="proxy"):
        await collect(
            DynasparkAPI.create_async_generator(
                "", USER, base_url=emu.url, proxy="http://127.0.0.1:1", max_retries=0
            )
        )


async def test_unreachable_host_is_a_connection_error_after_retries() -> None:
    with pytest.raises(APIConnectionError, match="Could not connect"):
        await collect(
            Dynaspark.create_async_generator(
                "", USER, base_url="http://127.0.0.1:1", max_retries=1, backoff_base=0.01
            )
        )


async def test_environment_proxy_credentials_are_used_but_never_logged(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aiodynaspark")
    async with ForwardProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url.replace("http://", "http://env:t0ps3cret@"))
        monkeypatch.setenv("NO_PROXY", "")
        text = await collect(Dynaspark.create_async_generator("", USER, base_url=emu.url))
    assert text == answer_for("gemini-1.5-flash", "ping")
    [(_, auth)] = proxy.seen
    assert auth is not None and auth.startswith("Basic ")
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "t0ps3cret" not in logged
    assert "proxy=http://***@127.0.0.1" in logged
