"""Every upstream answer is read under a bound; redirects are never followed."""

import asyncio

import pytest

from aiodynaspark import AsyncClient, Limits, ResponseError
from aiodynaspark._limits import DEFAULT_MAX_JSON_BYTES
from aiodynaspark.testing import Emulator, Fault, Quirk

USER = [{"role": "user", "content": "hi there"}]
TIMEOUT = 10.0
SMALL = Limits(max_response_bytes=100_000, max_event_bytes=100_000, max_stream_bytes=300_000)


@pytest.fixture
async def client(emu: Emulator) -> AsyncClient:
    async with AsyncClient(base_url=emu.url, max_retries=0, limits=SMALL) as c:
        yield c  # type: ignore[misc]


async def _stream_text(client: AsyncClient) -> str:
    stream = await client.chat.completions.create(messages=USER, stream=True, provider="api")
    return "".join([c.choices[0].delta.content or "" async for c in stream])


async def _wait_for_disconnect(emu: Emulator) -> None:
    for _ in range(500):
        if emu.disconnects:
            return
        await asyncio.sleep(0.01)


async def test_whole_answer_over_the_limit_raises_and_closes_the_connection(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push(Quirk.endless_body())
    with pytest.raises(ResponseError, match="max_response_bytes"):
        async with asyncio.timeout(TIMEOUT):
            await client.chat.completions.create(messages=USER, temperature=0.5)
    await _wait_for_disconnect(emu)
    assert emu.disconnects == 1


async def test_declared_length_over_the_limit_is_refused_unread(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push(Quirk.huge_body(50_000_000))
    with pytest.raises(ResponseError, match="max_response_bytes"):
        async with asyncio.timeout(TIMEOUT):
            await client.chat.completions.create(messages=USER)


async def test_endless_stream_raises_at_the_total_limit(client: AsyncClient, emu: Emulator) -> None:
    emu.push(Quirk.endless_body())
    with pytest.raises(ResponseError, match="max_stream_bytes"):
        async with asyncio.timeout(TIMEOUT):
            await _stream_text(client)


async def test_unterminated_event_raises_at_the_event_limit(emu: Emulator) -> None:
    emu.push(Quirk.unterminated_event())
    limits = Limits(max_event_bytes=100_000)
    async with AsyncClient(base_url=emu.url, max_retries=0, limits=limits) as client:
        with pytest.raises(ResponseError, match="max_event_bytes"):
            async with asyncio.timeout(TIMEOUT):
                await _stream_text(client)


async def test_keepalive_only_stream_times_out_on_content(emu: Emulator) -> None:
    emu.push(Quirk.keepalive_only(0.02))
    limits = Limits(stream_idle_timeout=0.3)
    async with AsyncClient(base_url=emu.url, max_retries=0, limits=limits) as client:
        with pytest.raises(ResponseError, match="stream_idle_timeout"):
            async with asyncio.timeout(TIMEOUT):
                await _stream_text(client)


async def test_openai_stream_ending_without_done_or_finish_reason_is_an_error(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push(Quirk.no_done("openai"))
    with pytest.raises(ResponseError, match="end marker"):
        async with asyncio.timeout(TIMEOUT):
            await _stream_text(client)


async def test_response_stream_ending_cleanly_without_done_is_whole(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push(None)
    expected = await _stream_text(client)
    emu.push(Quirk.no_done("response"))
    async with asyncio.timeout(TIMEOUT):
        assert await _stream_text(client) == expected


async def test_stream_cut_by_the_network_is_an_error(client: AsyncClient, emu: Emulator) -> None:
    emu.push(Fault.cut_stream(after=2))
    with pytest.raises(ResponseError, match="broke after"):
        async with asyncio.timeout(TIMEOUT):
            await _stream_text(client)


async def test_json_answer_to_a_stream_request_is_one_piece(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push(Quirk.ignore_stream())
    stream = await client.chat.completions.create(messages=USER, stream=True, provider="api")
    async with asyncio.timeout(TIMEOUT):
        chunks = [c async for c in stream]
    assert len([c for c in chunks if c.choices[0].delta.content]) == 1


async def test_redirect_to_another_host_is_not_followed(client: AsyncClient, emu: Emulator) -> None:
    async with Emulator() as elsewhere:
        emu.push(Quirk.redirect(elsewhere.url + "/api/generate_response?user_input=x", 307))
        with pytest.raises(ResponseError, match="redirects are not followed"):
            async with asyncio.timeout(TIMEOUT):
                await client.chat.completions.create(messages=USER, temperature=0.5)
        assert elsewhere.requests == []


@pytest.mark.parametrize("provider", ["web", "api"])
async def test_a_json_answer_over_two_mebibytes_is_refused_undecoded(
    emu: Emulator, provider: str
) -> None:
    # Under the body bound (16 MiB) but over the JSON bound: decoding it would hold the loop.
    emu.push_reply("x" * (DEFAULT_MAX_JSON_BYTES + 1))
    async with AsyncClient(base_url=emu.url, max_retries=0) as client:
        with pytest.raises(ResponseError, match="not decoded"):
            async with asyncio.timeout(TIMEOUT):
                await client.chat.completions.create(messages=USER, provider=provider)  # type: ignore[call-overload]


async def test_a_json_answer_just_under_the_bound_is_decoded(emu: Emulator) -> None:
    # The JSON body is the text plus its envelope: leave room for it.
    text = "y" * (DEFAULT_MAX_JSON_BYTES - 1024)
    emu.push_reply(text)
    async with AsyncClient(base_url=emu.url, max_retries=0) as client, asyncio.timeout(TIMEOUT):
        completion = await client.chat.completions.create(messages=USER, provider="web")
    assert completion.choices[0].message.content == text
