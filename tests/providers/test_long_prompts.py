"""Long prompts: a chat too long for a URL goes by the web form, naming what it drops, or is
refused before I/O when the client is told to."""

import asyncio
import re
from urllib.parse import urlencode

import hypothesis
import hypothesis.strategies as st
import pytest

from aiodynaspark import AsyncClient, DynasparkAPI, InvalidRequestError, Limits
from aiodynaspark._config import Settings
from aiodynaspark._wire._http import Transport
from aiodynaspark.providers._long_prompts import url_bytes
from aiodynaspark.testing import Emulator
from support.media import collect

TIMEOUT = 10.0
LONG = [
    {"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i} " + "x" * 1000}
    for i in range(100)
]  # about 100 KB


@pytest.fixture
async def client(emu: Emulator) -> AsyncClient:
    async with AsyncClient(base_url=emu.url, max_retries=0) as c:
        yield c  # type: ignore[misc]


async def _stream(client: AsyncClient, messages: list[dict[str, str]], **options: object) -> str:
    async with asyncio.timeout(TIMEOUT):
        stream = await client.chat.completions.create(
            messages=messages,
            stream=True,
            **options,  # type: ignore[call-overload]
        )
        return "".join([c.choices[0].delta.content or "" async for c in stream])


async def test_long_streamed_chat_goes_by_the_web_form(client: AsyncClient, emu: Emulator) -> None:
    assert await _stream(client, LONG)
    assert [(r.method, r.path) for r in emu.requests] == [("POST", "/generate_response")]


async def test_long_whole_chat_with_the_rest_api_goes_by_the_web_form(
    client: AsyncClient, emu: Emulator
) -> None:
    async with asyncio.timeout(TIMEOUT):
        done = await client.chat.completions.create(messages=LONG, provider="api")
    assert done.choices[0].message.content
    assert [r.method for r in emu.requests] == ["POST"]


async def test_system_prompt_is_folded_into_the_form_text(
    client: AsyncClient, emu: Emulator
) -> None:
    await _stream(client, [{"role": "system", "content": "Be brief."}, *LONG])
    assert emu.requests[0].form["user_input"].startswith("System: Be brief.\n\n")


async def test_long_streamed_chat_with_options_goes_by_the_web_form_naming_them(
    client: AsyncClient, emu: Emulator
) -> None:
    async with asyncio.timeout(TIMEOUT):
        stream = await client.chat.completions.create(
            messages=LONG, stream=True, temperature=0.5, seed=7
        )
        assert (stream.whole, stream.dropped_params) == (True, ("seed", "temperature"))
        assert [c async for c in stream]
    assert [r.method for r in emu.requests] == ["POST"]


async def test_long_whole_chat_with_options_names_the_options_it_dropped(
    client: AsyncClient, emu: Emulator
) -> None:
    async with asyncio.timeout(TIMEOUT):
        done = await client.chat.completions.create(messages=LONG, temperature=0.5, top_p=0.9)
    assert done.dropped_params == ["temperature", "top_p"]
    assert [r.method for r in emu.requests] == ["POST"]


async def test_a_short_chat_drops_nothing(client: AsyncClient, emu: Emulator) -> None:
    async with asyncio.timeout(TIMEOUT):
        done = await client.chat.completions.create(messages=LONG[:1], temperature=0.5)
        stream = await client.chat.completions.create(messages=LONG[:1], stream=True)
        await stream.aclose()
    assert done.dropped_params is None
    assert (stream.whole, stream.dropped_params) == (False, ())


async def test_refuse_mode_refuses_a_long_chat_with_options_before_any_request(
    emu: Emulator,
) -> None:
    async with AsyncClient(base_url=emu.url, max_retries=0, long_prompts="refuse") as client:
        with pytest.raises(InvalidRequestError, match=r"max_url_bytes.*keeps temperature"):
            await _stream(client, LONG, temperature=0.5)
    assert emu.requests == []


async def test_refuse_mode_still_sends_a_long_chat_without_options_by_the_web_form(
    emu: Emulator,
) -> None:
    async with AsyncClient(base_url=emu.url, max_retries=0, long_prompts="refuse") as client:
        assert await _stream(client, LONG)
    assert [r.method for r in emu.requests] == ["POST"]


async def test_json_mode_the_client_set_for_tools_never_refuses_nor_counts_as_dropped(
    emu: Emulator,
) -> None:
    emu.push_reply('{"content": "done"}')
    async with AsyncClient(base_url=emu.url, max_retries=0, long_prompts="refuse") as client:
        async with asyncio.timeout(TIMEOUT):
            done = await client.chat.completions.create(
                messages=LONG,
                provider="api",  # where the client asks for JSON mode for itself
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "n", "schema": {"type": "object"}},
                },
            )
    assert done.dropped_params == []
    assert [r.method for r in emu.requests] == ["POST"]


def test_an_unknown_long_prompts_choice_is_refused_when_the_client_is_built() -> None:
    message = "long_prompts must be 'web_form' or 'refuse', got 'drop'."
    with pytest.raises(InvalidRequestError, match=f"^{re.escape(message)}$"):
        AsyncClient(long_prompts="drop")  # type: ignore[arg-type]


async def test_a_414_from_the_host_sends_the_chat_by_the_web_form(emu: Emulator) -> None:
    limits = Limits(max_url_bytes=1_000_000)  # the client's budget would let it through
    async with AsyncClient(base_url=emu.url, max_retries=0, limits=limits) as client:
        async with asyncio.timeout(TIMEOUT):
            stream = await client.chat.completions.create(
                messages=LONG, stream=True, temperature=0.5
            )
            assert [c async for c in stream]
    assert (stream.whole, stream.dropped_params) == (True, ("temperature",))
    assert [r.method for r in emu.requests] == ["POST"]  # the GET was refused before recording


async def test_a_414_in_refuse_mode_for_a_chat_with_options_is_refused(emu: Emulator) -> None:
    limits = Limits(max_url_bytes=1_000_000)
    async with AsyncClient(
        base_url=emu.url, max_retries=0, limits=limits, long_prompts="refuse"
    ) as client:
        with pytest.raises(InvalidRequestError, match=r"refused its URL as too long \(414\)"):
            await _stream(client, LONG, temperature=0.5)


async def test_the_rest_api_provider_alone_refuses_a_long_chat_before_any_request(
    emu: Emulator,
) -> None:
    pieces = DynasparkAPI.create_async_generator("", LONG, base_url=emu.url, max_retries=0)
    with pytest.raises(InvalidRequestError, match=r"over the 6,144-byte budget.*AsyncClient"):
        async with asyncio.timeout(TIMEOUT):
            await collect(pieces)
    assert emu.requests == []


async def test_a_chat_exactly_at_the_budget_streams_and_the_emulator_agrees(
    emu: Emulator,
) -> None:
    # The emulator answers 414 past its limit: set to the budget, it refuses any URL the
    # client counted one byte short.
    budget = 2_000
    emu.url_limit = budget - len(emu.url)
    async with AsyncClient(
        base_url=emu.url, max_retries=0, limits=Limits(max_url_bytes=budget)
    ) as client:
        # "é ?" is 10 bytes in a query: the URL crosses the budget within these counts.
        for count in range(170, 200):
            messages = [{"role": "user", "content": "é ?" * count}]
            async with asyncio.timeout(TIMEOUT):
                stream = await client.chat.completions.create(messages=messages, stream=True)
                assert [c async for c in stream]
            expected = "POST" if stream.whole else "GET"
            assert emu.requests[-1].method == expected
    assert {r.method for r in emu.requests} == {"GET", "POST"}


async def test_long_image_prompt_is_refused_before_any_request(
    client: AsyncClient, emu: Emulator
) -> None:
    with pytest.raises(InvalidRequestError, match="Shorten the image prompt"):
        async with asyncio.timeout(TIMEOUT):
            await client.images.generate(prompt="a cat " * 2000)
    assert emu.requests == []


async def test_api_key_with_a_lone_surrogate_is_measured_and_sent(emu: Emulator) -> None:
    # A key read from the environment can hold one (undecodable bytes become surrogates).
    async with AsyncClient(base_url=emu.url, api_key="k\udcff", max_retries=0) as client:
        async with asyncio.timeout(TIMEOUT):
            done = await client.chat.completions.create(messages=LONG[:1], temperature=0.5)
    assert done.choices[0].message.content
    assert [r.method for r in emu.requests] == ["GET"]


async def test_short_streamed_chat_still_streams_from_the_rest_api(
    client: AsyncClient, emu: Emulator
) -> None:
    assert await _stream(client, [{"role": "user", "content": "hi"}])
    assert [r.method for r in emu.requests] == ["GET"]


@hypothesis.given(
    params=st.dictionaries(
        # The key is added after measuring, never a parameter of its own.
        st.text(min_size=1, max_size=12).filter(lambda name: name != "api_key"),
        st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=200),
        max_size=5,
    ),
    key=st.sampled_from(["", "sk-1 2+3/é"]),
)
def test_url_length_is_counted_as_urlencode_would_build_it(
    params: dict[str, str], key: str
) -> None:
    transport = Transport(Settings(base_url="http://127.0.0.1:1", api_key=key or None))
    query = {**params, "api_key": key} if key else params
    expected = len("http://127.0.0.1:1") + len("/api/generate") + 1 + len(urlencode(query))
    assert url_bytes(transport, "/api/generate", params) == expected
