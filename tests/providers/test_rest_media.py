"""Images and speech from the REST API: input checks, URL budget, what the answers may be.

Each test here once let a mutation of the provider pass (docs/testing.md, "Mutation testing").
"""

import re

import aiohttp
import pytest

from aiodynaspark import DynasparkAPI, InvalidRequestError, Limits, ResponseError
from aiodynaspark.testing import Emulator, Quirk
from support.forward_proxy import ForwardProxy
from support.raw_server import RawServer, http_answer, json_answer

LONG_TEXT = "a cat " * 2000  # about 12 KB: over the 8 KB request line the emulator reads


@pytest.mark.parametrize("blank", ["", "   "])
async def test_blank_image_prompt_is_refused_before_any_request(emu: Emulator, blank: str) -> None:
    with pytest.raises(InvalidRequestError, match="non-empty"):
        await DynasparkAPI.generate_image(blank, base_url=emu.url)
    assert emu.requests == []


@pytest.mark.parametrize("blank", ["", "   "])
async def test_blank_speech_text_is_refused_before_any_request(emu: Emulator, blank: str) -> None:
    with pytest.raises(InvalidRequestError, match="non-empty"):
        await DynasparkAPI.generate_speech(blank, base_url=emu.url)
    assert emu.requests == []


async def test_image_size_defaults_to_768_square(emu: Emulator) -> None:
    await DynasparkAPI.generate_image("cat", base_url=emu.url)
    query = emu.requests[0].query
    assert (query["width"], query["height"]) == ("768", "768")


async def test_image_sides_at_the_bounds_are_accepted(emu: Emulator) -> None:
    await DynasparkAPI.generate_image("cat", size="64x2048", base_url=emu.url)
    await DynasparkAPI.generate_image("cat", size="2048x64", base_url=emu.url)
    sides = [(r.query["width"], r.query["height"]) for r in emu.requests]
    assert sides == [("64", "2048"), ("2048", "64")]


@pytest.mark.parametrize("size", ["x768", "768x", "widex768", "768xhigh", "768"])
async def test_size_without_two_whole_numbers_is_refused(emu: Emulator, size: str) -> None:
    with pytest.raises(InvalidRequestError, match="look like"):
        await DynasparkAPI.generate_image("cat", size=size, base_url=emu.url)
    assert emu.requests == []


@pytest.mark.parametrize(("size", "side"), [("4000x768", "width"), ("768x4000", "height")])
async def test_size_error_names_the_side_out_of_range(emu: Emulator, size: str, side: str) -> None:
    with pytest.raises(InvalidRequestError, match=f"^Image {side} must be from 64 to 2048"):
        await DynasparkAPI.generate_image("cat", size=size, base_url=emu.url)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seed": "7"}, "seed must be a whole number, got '7'."),
        ({"nologo": "yes"}, "nologo must be True or False, got 'yes'."),
        ({"wm": 3}, "wm must be a string, got int."),
        ({"size": 768}, "size must be a string like '1024x768', got 768."),
    ],
)
async def test_bad_image_parameter_error_names_the_parameter(
    emu: Emulator, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=f"^{re.escape(message)}$"):
        await DynasparkAPI.generate_image("cat", base_url=emu.url, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("call", ["image", "speech"])
async def test_unknown_keyword_error_names_the_provider(emu: Emulator, call: str) -> None:
    with pytest.raises(
        InvalidRequestError, match=rf"^DynasparkAPI\.generate_{call} does not take colour"
    ):
        if call == "image":
            await DynasparkAPI.generate_image("cat", base_url=emu.url, colour="red")
        else:
            await DynasparkAPI.generate_speech("hi", base_url=emu.url, colour="red")


async def test_image_answer_url_must_be_http_or_https(emu: Emulator) -> None:
    emu.push(Quirk.image_url("ftp://127.0.0.1/cat.png"))
    with pytest.raises(ResponseError, match="http\\(s\\) 'image_url'"):
        await DynasparkAPI.generate_image("cat", base_url=emu.url, max_retries=0)
    emu.push(Quirk.image_url("https://127.0.0.1/cat.png"))
    result = await DynasparkAPI.generate_image("cat", base_url=emu.url, max_retries=0)
    assert result.url == "https://127.0.0.1/cat.png"


async def test_image_result_takes_the_model_and_seed_the_service_gave() -> None:
    answer = {"image_url": "http://127.0.0.1/x.png", "model": "turbo-2", "seed": 99}
    async with RawServer(json_answer(answer)) as server:
        result = await DynasparkAPI.generate_image("cat", base_url=server.url, max_retries=0)
    assert (result.model, result.seed) == ("turbo-2", 99)


async def test_image_result_ignores_a_model_or_seed_of_the_wrong_type() -> None:
    answer = {"image_url": "http://127.0.0.1/x.png", "model": 5, "seed": True}
    async with RawServer(json_answer(answer)) as server:
        result = await DynasparkAPI.generate_image("cat", base_url=server.url, max_retries=0)
    assert (result.model, result.seed) == ("flux", None)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("audio/mpeg", b"not an mp3 header"),
        ("application/octet-stream", b"ID3\x04rest"),
        ("application/octet-stream", b"\xff\xfbframe"),
        ("application/octet-stream", b"\xff\xf3frame"),
        (None, b"ID3\x04rest"),
    ],
)
async def test_speech_is_known_by_its_type_or_its_first_bytes(
    content_type: str | None, body: bytes
) -> None:
    async with RawServer(http_answer(body, content_type)) as server:
        audio = await DynasparkAPI.generate_speech("hi", base_url=server.url, max_retries=0)
    assert audio == body


@pytest.mark.parametrize(
    ("content_type", "body", "said"),
    [
        ("text/html", b"<html>\xff\xfe down</html>", "got text/html ('<html>\ufffd\ufffd down"),
        (None, b"<html>down</html>", "got no content type ('<html>down</html>')"),
    ],
)
async def test_speech_answer_that_is_not_audio_is_refused_and_quoted(
    content_type: str | None, body: bytes, said: str
) -> None:
    async with RawServer(http_answer(body, content_type)) as server:
        with pytest.raises(ResponseError, match=f"^Expected audio .*{re.escape(said)}"):
            await DynasparkAPI.generate_speech("hi", base_url=server.url, max_retries=0)


async def test_empty_audio_answer_is_refused() -> None:
    async with RawServer(http_answer(b"", "audio/mpeg")) as server:
        with pytest.raises(ResponseError, match="empty audio"):
            await DynasparkAPI.generate_speech("hi", base_url=server.url, max_retries=0)


def _measured(error: pytest.ExceptionInfo[InvalidRequestError]) -> int:
    found = re.search(r"would be ([\d,]+) bytes", str(error.value))
    assert found is not None, str(error.value)
    return int(found.group(1).replace(",", ""))


@pytest.mark.parametrize(("call", "what"), [("image", "image prompt"), ("speech", "text to speak")])
async def test_url_exactly_at_the_budget_is_sent(emu: Emulator, call: str, what: str) -> None:
    async def send(limit: int) -> object:
        kwargs = {"base_url": emu.url, "max_retries": 0, "limits": Limits(max_url_bytes=limit)}
        if call == "image":
            return await DynasparkAPI.generate_image("a cat", **kwargs)  # type: ignore[arg-type]
        return await DynasparkAPI.generate_speech("a cat", **kwargs)  # type: ignore[arg-type]

    with pytest.raises(InvalidRequestError) as refused:
        await send(10)
    size = _measured(refused)
    message = (
        f"The request is too long for the REST API: its URL would be {size:,} bytes, over the "
        f"10-byte budget (Limits.max_url_bytes). Shorten the {what}: only the REST API does "
        "this, and it takes the text in the URL."
    )
    assert str(refused.value) == message
    assert emu.requests == []
    await send(size)
    assert len(emu.requests) == 1


@pytest.mark.parametrize(("call", "what"), [("image", "image prompt"), ("speech", "text to speak")])
async def test_a_414_from_the_host_is_refused_with_what_to_shorten(
    emu: Emulator, call: str, what: str
) -> None:
    kwargs = {"base_url": emu.url, "max_retries": 0, "limits": Limits(max_url_bytes=1_000_000)}
    message = (
        "The request is too long for the REST API: the service refused its URL as too long "
        f"(414). Shorten the {what}: only the REST API does this, and it takes the text in the "
        "URL."
    )
    with pytest.raises(InvalidRequestError, match=f"^{re.escape(message)}$"):
        if call == "image":
            await DynasparkAPI.generate_image(LONG_TEXT, **kwargs)  # type: ignore[arg-type]
        else:
            await DynasparkAPI.generate_speech(LONG_TEXT, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("call", ["image", "speech"])
async def test_images_and_speech_go_through_the_given_proxy(emu: Emulator, call: str) -> None:
    async with ForwardProxy() as proxy:
        if call == "image":
            await DynasparkAPI.generate_image("cat", base_url=emu.url, proxy=proxy.url)
        else:
            await DynasparkAPI.generate_speech("hi", base_url=emu.url, proxy=proxy.url)
    assert len(proxy.seen) == 1
    assert proxy.seen[0][0].startswith("GET " + emu.url + "/api/")


@pytest.mark.parametrize("call", ["image", "speech"])
async def test_images_and_speech_use_the_given_session(emu: Emulator, call: str) -> None:
    sent: list[str] = []

    async def on_start(*_: object) -> None:
        sent.append(call)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)  # type: ignore[arg-type]
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        if call == "image":
            await DynasparkAPI.generate_image("cat", base_url=emu.url, session=session)
        else:
            await DynasparkAPI.generate_speech("hi", base_url=emu.url, session=session)
        assert not session.closed
    assert sent == [call]
