"""``DynasparkAPI``, the REST provider, against the emulator over real sockets."""

import asyncio

import pytest

from aiodynaspark import (
    AuthenticationError,
    DynasparkAPI,
    InvalidRequestError,
    MediaError,
    ResponseError,
)
from aiodynaspark.testing import Emulator, Fault, answer_for
from support.media import PNG, collect

USER = [{"role": "user", "content": "tell me"}]


def api(emu: Emulator, messages: object = USER, model: str = "", **kwargs: object) -> object:
    kwargs.setdefault("max_retries", 0)
    return DynasparkAPI.create_async_generator(model, messages, base_url=emu.url, **kwargs)


async def test_every_parameter_reaches_the_wire(emu: Emulator) -> None:
    text = await collect(
        api(
            emu,
            model="gemini-2.0-flash",
            temperature=0.7,
            top_p=0.9,
            presence_penalty=-1.5,
            frequency_penalty=2,
            seed=42,
            system="Be terse.",
            json=True,
            private=False,
            referrer="tests",
            api_key="k-123",
            stream=False,
        )
    )
    [request] = emu.requests
    assert (request.method, request.path) == ("GET", "/api/generate_response")
    assert request.query == {
        "user_input": "tell me",
        "model": "gemini-2.0-flash",
        "temperature": "0.7",
        "top_p": "0.9",
        "presence_penalty": "-1.5",
        "frequency_penalty": "2.0",
        "seed": "42",
        "system": "Be terse.",
        "json": "true",
        "private": "false",
        "referrer": "tests",
        "api_key": "k-123",
    }
    assert "tell me" in text


async def test_system_messages_become_the_system_parameter(emu: Emulator) -> None:
    messages = [
        {"role": "system", "content": "Rule one."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Yo"},
        {"role": "user", "content": "Bye"},
    ]
    await collect(api(emu, messages, stream=False))
    query = emu.requests[0].query
    assert query["system"] == "Rule one."
    assert query["user_input"] == "User: Hi\nAssistant: Yo\nUser: Bye\nAssistant:"


async def test_explicit_system_wins_and_messages_stay_in_the_prompt(emu: Emulator) -> None:
    messages = [{"role": "system", "content": "From messages."}, {"role": "user", "content": "Hi"}]
    await collect(api(emu, messages, system="Given.", stream=False))
    assert emu.requests[0].query["system"] == "Given."
    assert "System: From messages." in emu.requests[0].query["user_input"]


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("temperature", 3.5, "temperature must be from 0 to 3"),
        ("temperature", -0.1, "temperature must be from 0 to 3"),
        ("top_p", 1.01, "top_p must be from 0 to 1"),
        ("presence_penalty", -2.5, "presence_penalty must be from -2 to 2"),
        ("frequency_penalty", 9, "frequency_penalty must be from -2 to 2"),
        ("temperature", float("nan"), "temperature must be a number"),
        ("temperature", "hot", "temperature must be a number"),
        ("seed", 1.5, "seed must be a whole number"),
        ("json", "yes", "json must be True or False"),
        ("private", 1, "private must be True or False"),
        ("stream", "no", "stream must be True or False"),
        ("system", 5, "system must be a string"),
        ("top_k", 3, "does not take top_k"),
    ],
)
async def test_out_of_range_parameters_are_refused_with_zero_requests(
    emu: Emulator, name: str, value: object, fragment: str
) -> None:
    with pytest.raises(InvalidRequestError, match=fragment):
        await collect(api(emu, **{name: value}))
    assert emu.requests == []


async def test_images_are_refused_by_the_rest_api(emu: Emulator) -> None:
    with pytest.raises(MediaError, match="Dynaspark"):
        await collect(api(emu, media=[PNG]))
    assert emu.requests == []


async def test_stream_yields_the_first_piece_while_the_server_holds_the_rest(emu: Emulator) -> None:
    emu.hold()
    stream = api(
        emu, model="gemini-2.0-flash", messages=[{"role": "user", "content": "one two three"}]
    )
    async with asyncio.timeout(5):
        first = await anext(stream)  # type: ignore[call-overload]
    assert first == "[gemini-2.0-flash] "
    assert emu.requests[0].query["stream"] == "true"
    emu.release()
    rest = await collect(stream)  # type: ignore[arg-type]
    assert first + rest == answer_for("gemini-2.0-flash", "one two three")


@pytest.mark.parametrize("shape", ["openai", "response", "text"])
async def test_every_stream_payload_shape_is_read(emu: Emulator, shape: str) -> None:
    emu.push(Fault.stream_shape(shape))  # type: ignore[arg-type]
    text = await collect(api(emu, messages=[{"role": "user", "content": "a b c"}]))
    assert text == answer_for("gemini-1.5-flash", "a b c")


async def test_a_cut_stream_raises_instead_of_ending(emu: Emulator) -> None:
    emu.push(Fault.cut_stream(after=2))
    pieces: list[str] = []
    with pytest.raises(ResponseError, match="incomplete"):
        async with asyncio.timeout(5):
            async for piece in api(emu, messages=[{"role": "user", "content": "a b c d e"}]):  # type: ignore[attr-defined]
                pieces.append(piece)
    assert len(pieces) == 2
    assert len(emu.requests) == 1  # never retried once text was handed out


async def test_stream_error_before_the_first_piece_is_retried(emu: Emulator) -> None:
    emu.push(Fault.status(503))
    text = await collect(api(emu, max_retries=1, backoff_base=0.01))
    assert text == answer_for("gemini-1.5-flash", "tell me")
    assert len(emu.requests) == 2


async def test_whole_answer_carries_model_and_usage(emu: Emulator) -> None:
    text = await collect(api(emu, stream=False, messages=[{"role": "user", "content": "x y"}]))
    assert text == answer_for("gemini-1.5-flash", "x y")


async def test_wrong_key_is_an_authentication_error() -> None:
    async with Emulator(api_keys=["right"]) as emu:
        with pytest.raises(AuthenticationError, match="API key"):
            await collect(api(emu, api_key="wrong", stream=False))
        assert await collect(api(emu, api_key="right", stream=False))


async def test_api_key_from_environment(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNASPARK_API_KEY", "env-key")
    await collect(api(emu, stream=False))
    assert emu.requests[0].query["api_key"] == "env-key"


async def test_image_generation_round_trip(emu: Emulator) -> None:
    result = await DynasparkAPI.generate_image(
        "a red cat", model="turbo", size="512x256", seed=7, nologo=True, wm="hi", base_url=emu.url
    )
    query = emu.requests[0].query
    assert query == {
        "user_input": "a red cat",
        "model": "turbo",
        "width": "512",
        "height": "256",
        "seed": "7",
        "nologo": "true",
        "wm": "hi",
    }
    assert result.url.startswith(emu.url + "/images/")
    assert (result.model, result.seed) == ("turbo", 7)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"size": "10x10"}, "from 64 to 2048"),
        ({"size": "4096x512"}, "from 64 to 2048"),
        ({"size": "big"}, "look like"),
        ({"model": "dalle"}, "Unknown image model"),
        ({"seed": "x"}, "whole number"),
    ],
)
async def test_bad_image_requests_are_refused_with_zero_requests(
    emu: Emulator, kwargs: dict[str, object], fragment: str
) -> None:
    with pytest.raises(InvalidRequestError, match=fragment):
        await DynasparkAPI.generate_image("cat", base_url=emu.url, **kwargs)  # type: ignore[arg-type]
    assert emu.requests == []


async def test_an_unknown_image_keyword_is_refused_naming_the_image_keywords(
    emu: Emulator,
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        await DynasparkAPI.generate_image("cat", base_url=emu.url, style="noir")  # type: ignore[call-arg]
    message = str(refused.value)
    assert "generate_image does not take style" in message
    assert "It takes: model, nologo, seed, size, wm, and the connection keywords" in message
    assert emu.requests == []


async def test_speech_round_trip(emu: Emulator) -> None:
    audio = await DynasparkAPI.generate_speech("Hello there", voice="nova", base_url=emu.url)
    assert audio.startswith(b"ID3")
    query = emu.requests[0].query
    assert (query["model"], query["voice"], query["user_input"]) == (
        "openai-audio",
        "nova",
        "Hello there",
    )


async def test_unknown_voice_is_refused_with_zero_requests(emu: Emulator) -> None:
    with pytest.raises(InvalidRequestError, match="Unknown voice"):
        await DynasparkAPI.generate_speech("hi", voice="robot", base_url=emu.url)
    assert emu.requests == []


def test_create_completion_streams_from_sync_code() -> None:
    with Emulator.run_in_thread("127.0.0.1", 0) as emu:
        pieces = list(
            DynasparkAPI.create_completion(
                "", [{"role": "user", "content": "p q"}], base_url=emu.url
            )
        )
    assert len(pieces) == 3
    assert "".join(pieces) == answer_for("gemini-1.5-flash", "p q")
