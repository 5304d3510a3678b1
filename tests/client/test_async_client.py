"""``AsyncClient``: OpenAI shapes, routing and fallback, against the emulator."""

import asyncio
import base64

import pytest

from aiodynaspark import (
    APIConnectionError,
    AsyncClient,
    Dynaspark,
    DynasparkAPI,
    InvalidRequestError,
    MediaError,
    ModelNotSupportedError,
    RateLimitError,
    ServiceUnavailableError,
)
from aiodynaspark.client import ChatCompletion, ChatCompletionChunk
from aiodynaspark.testing import Emulator, Fault, answer_for
from support.media import GIF, PNG, data_uri

USER = [{"role": "user", "content": "hi there"}]


@pytest.fixture
async def client(emu: Emulator) -> AsyncClient:
    async with AsyncClient(base_url=emu.url, max_retries=0) as c:
        yield c  # type: ignore[misc]


async def test_completion_has_the_openai_shape(client: AsyncClient, emu: Emulator) -> None:
    done = await client.chat.completions.create(model="gemini-2.0-flash", messages=USER)
    assert isinstance(done, ChatCompletion)
    assert done.object == "chat.completion"
    assert done.id.startswith("chatcmpl-")
    assert isinstance(done.created, int)
    assert done.model == "gemini-2.0-flash"
    [choice] = done.choices
    assert choice.index == 0
    assert choice.message.role == "assistant"
    assert choice.message.content == answer_for("gemini-2.0-flash", "hi there")
    assert choice.finish_reason == "stop"
    assert done.provider == "Dynaspark"
    dumped = done.model_dump()
    assert dumped["choices"][0]["message"]["content"] == choice.message.content


async def test_usage_is_filled_when_the_service_gives_it(client: AsyncClient) -> None:
    done = await client.chat.completions.create(messages=USER, temperature=0.3)
    assert done.provider == "DynasparkAPI"
    assert done.usage is not None
    assert done.usage.total_tokens == done.usage.prompt_tokens + done.usage.completion_tokens


async def test_chunks_have_the_openai_shape(client: AsyncClient) -> None:
    stream = await client.chat.completions.create(messages=USER, stream=True)
    async with asyncio.timeout(5):
        chunks = [chunk async for chunk in stream]
    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    assert all(c.choices[0].delta.role is None for c in chunks[1:])
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].choices[0].delta.content is None
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == answer_for("gemini-1.5-flash", "hi there")
    assert len(chunks) == 4  # three words and the closing chunk


# A user turn with a text part and an image part (a data URI).
DESCRIBE_IMAGE = [
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "describe"},
            {"type": "image_url", "image_url": {"url": data_uri(PNG)}},
        ],
    }
]


async def test_image_url_part_reaches_the_service_as_the_image(
    client: AsyncClient, emu: Emulator
) -> None:
    done = await client.chat.completions.create(messages=DESCRIBE_IMAGE)
    file = emu.requests[0].file
    assert file is not None
    assert (file.data, file.content_type) == (PNG, "image/png")
    assert done.choices[0].message.content == answer_for("gemini-1.5-flash", "describe", PNG)


@pytest.mark.parametrize(
    ("kwargs", "provider"),
    [
        ({}, "Dynaspark"),
        ({"media": [PNG]}, "Dynaspark"),
        ({"temperature": 0.2}, "DynasparkAPI"),
        ({"system": "Be brief."}, "DynasparkAPI"),
        ({"response_format": {"type": "json_object"}}, "DynasparkAPI"),
        ({"stream": True}, "DynasparkAPI"),
        ({"stream": True, "media": [PNG]}, "Dynaspark"),
        ({"provider": "api"}, "DynasparkAPI"),
        ({"provider": DynasparkAPI, "stream": True}, "DynasparkAPI"),
    ],
)
async def test_routing_rule(
    client: AsyncClient, emu: Emulator, kwargs: dict[str, object], provider: str
) -> None:
    result = await client.chat.completions.create(messages=USER, **kwargs)  # type: ignore[call-overload]
    if kwargs.get("stream"):
        async with asyncio.timeout(5):
            names = {chunk.provider async for chunk in result}
        assert names == {provider}
    else:
        assert result.provider == provider
    expected_path = "/generate_response" if provider == "Dynaspark" else "/api/generate_response"
    assert emu.requests[-1].path == expected_path


async def test_a_streamed_chat_with_an_image_url_part_goes_by_the_web_form(
    client: AsyncClient, emu: Emulator
) -> None:
    stream = await client.chat.completions.create(messages=DESCRIBE_IMAGE, stream=True)
    async with asyncio.timeout(5):
        names = {chunk.provider async for chunk in stream}
    assert names == {"Dynaspark"}
    assert emu.requests[-1].path == "/generate_response"


async def test_json_mode_reaches_the_wire(client: AsyncClient, emu: Emulator) -> None:
    await client.chat.completions.create(messages=USER, response_format={"type": "json_object"})
    assert emu.requests[0].query["json"] == "true"


async def test_client_wide_provider_choice(emu: Emulator) -> None:
    async with AsyncClient(base_url=emu.url, provider=DynasparkAPI) as c:
        done = await c.chat.completions.create(messages=USER)
    assert done.provider == "DynasparkAPI"


async def test_image_with_sampling_options_is_refused_clearly(
    client: AsyncClient, emu: Emulator
) -> None:
    with pytest.raises(InvalidRequestError, match="image together with temperature"):
        await client.chat.completions.create(messages=USER, media=[PNG], temperature=1)
    assert emu.requests == []


async def test_fallback_tries_providers_in_order(client: AsyncClient, emu: Emulator) -> None:
    emu.push(Fault.status(503))
    done = await client.chat.completions.create(messages=USER, provider=[Dynaspark, DynasparkAPI])
    assert done.provider == "DynasparkAPI"
    assert [r.path for r in emu.requests] == ["/generate_response", "/api/generate_response"]


async def test_fallback_on_rate_limit_and_the_final_error_names_every_attempt(
    client: AsyncClient, emu: Emulator
) -> None:
    emu.push(Fault.rate_limited(retry_after=None), Fault.status(502, "down"))
    with pytest.raises(ServiceUnavailableError) as caught:
        await client.chat.completions.create(messages=USER, provider=["web", "api"])
    message = str(caught.value)
    assert "Every provider failed (2 attempts)" in message
    assert "Dynaspark: HTTP 429" in message
    assert "DynasparkAPI: HTTP 502" in message


async def test_no_fallback_on_invalid_input(client: AsyncClient, emu: Emulator) -> None:
    with pytest.raises(MediaError):
        await client.chat.completions.create(
            messages=USER, media=[GIF], provider=[Dynaspark, DynasparkAPI]
        )
    assert emu.requests == []


async def test_no_fallback_on_a_400(client: AsyncClient, emu: Emulator) -> None:
    emu.push(Fault.status(400, "nope"))
    with pytest.raises(Exception, match="nope"):
        await client.chat.completions.create(messages=USER, provider=[Dynaspark, DynasparkAPI])
    assert len(emu.requests) == 1


async def test_streamed_fallback_before_the_first_piece(client: AsyncClient, emu: Emulator) -> None:
    emu.push(Fault.status(503))
    stream = await client.chat.completions.create(
        messages=USER, stream=True, provider=[DynasparkAPI, Dynaspark]
    )
    async with asyncio.timeout(5):
        chunks = [c async for c in stream]
    assert {c.provider for c in chunks} == {"Dynaspark"}


async def test_unreachable_everything_raises_connection_error() -> None:
    async with AsyncClient(base_url="http://127.0.0.1:1", max_retries=0) as c:
        with pytest.raises(APIConnectionError):
            await c.chat.completions.create(messages=USER, provider=["web", "api"])


@pytest.mark.parametrize(
    ("kwargs", "kind", "fragment"),
    [
        ({"model": "gpt-4"}, ModelNotSupportedError, "does not support model"),
        ({"n": 2}, InvalidRequestError, r"n=2 cannot be honoured\. Only 1"),
        ({"logprobs": True}, InvalidRequestError, r"logprobs=True cannot be honoured\. Only false"),
        ({"response_format": {"type": "xml"}}, InvalidRequestError, "response_format"),
        ({"provider": "openai"}, InvalidRequestError, "Unknown provider"),
        ({"provider": []}, InvalidRequestError, "empty list"),
        ({"stream": "yes"}, InvalidRequestError, "stream must be"),
        ({"temperature": 5}, InvalidRequestError, "temperature must be from 0 to 3"),
    ],
)
async def test_bad_requests_are_refused_before_any_request(
    client: AsyncClient,
    emu: Emulator,
    kwargs: dict[str, object],
    kind: type[Exception],
    fragment: str,
) -> None:
    with pytest.raises(kind, match=fragment):
        await client.chat.completions.create(messages=USER, **kwargs)  # type: ignore[call-overload]
    assert emu.requests == []


async def test_ignored_openai_fields_are_accepted(client: AsyncClient, emu: Emulator) -> None:
    done = await client.chat.completions.create(
        messages=USER, max_tokens=5, user="u", n=1, stop=["x"]
    )
    assert done.choices[0].message.content
    assert "max_tokens" not in emu.requests[0].form


async def test_images_generate_url_and_b64(client: AsyncClient, emu: Emulator) -> None:
    by_url = await client.images.generate(prompt="a cat", model="flux", size="1024x768")
    assert by_url.data[0].url and by_url.data[0].url.startswith(emu.url)
    inline = await client.images.generate(prompt="a cat", response_format="b64_json")
    assert inline.data[0].b64_json is not None
    assert base64.b64decode(inline.data[0].b64_json).startswith(b"\x89PNG")
    assert emu.requests[0].query["width"] == "1024"
    assert emu.requests[0].query["height"] == "768"


async def test_speech_returns_mp3_bytes(client: AsyncClient, emu: Emulator) -> None:
    speech = await client.audio.speech.create(input="Hello", voice="nova", model="tts-1")
    assert speech.content.startswith(b"ID3")
    assert emu.requests[0].query["voice"] == "nova"


async def test_speech_rejects_other_formats(client: AsyncClient) -> None:
    with pytest.raises(InvalidRequestError, match="mp3"):
        await client.audio.speech.create(input="Hello", response_format="wav")


async def test_models_list(client: AsyncClient) -> None:
    models = await client.models.list()
    assert models.object == "list"
    assert [m.id for m in models.data] == Dynaspark.models


async def test_rate_limit_error_keeps_retry_after(client: AsyncClient, emu: Emulator) -> None:
    emu.push(Fault.rate_limited(retry_after=9))
    with pytest.raises(RateLimitError) as caught:
        await client.chat.completions.create(messages=USER)
    assert caught.value.retry_after == 9
