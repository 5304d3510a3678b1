"""``Dynaspark``, the web form provider, against the emulator over real sockets."""

import asyncio
import inspect
import logging
import pathlib

import aiohttp
import pytest

from aiodynaspark import (
    APIStatusError,
    AuthenticationError,
    CloudflareError,
    Dynaspark,
    InvalidRequestError,
    MediaError,
    ModelNotSupportedError,
    RateLimitError,
    ResponseError,
    ServiceUnavailableError,
)
from aiodynaspark._config import resolve_settings
from aiodynaspark.testing import Emulator, Fault, answer_for
from support.media import GIF, JPEG, PNG, WEBP, collect, data_uri

USER = [{"role": "user", "content": "Hello"}]


async def ask(emu: Emulator, messages: object = USER, model: str = "", **kwargs: object) -> str:
    kwargs.setdefault("max_retries", 0)
    return await collect(
        Dynaspark.create_async_generator(model, messages, base_url=emu.url, **kwargs)
    )


def test_class_attributes_match_the_original_shape() -> None:
    assert Dynaspark.url == "https://dynaspark.onrender.com"
    assert Dynaspark.api_endpoint == Dynaspark.url + "/generate_response"
    assert Dynaspark.working and not Dynaspark.needs_auth and Dynaspark.supports_stream
    assert not Dynaspark.supports_system_message and not Dynaspark.supports_message_history
    assert Dynaspark.default_model == Dynaspark.default_vision_model == "gemini-1.5-flash"
    assert Dynaspark.get_models() == Dynaspark.models == Dynaspark.vision_models
    assert not set(Dynaspark.model_aliases) & set(Dynaspark.models)


async def test_form_fields_and_browser_headers_are_sent(emu: Emulator) -> None:
    answer = await ask(emu, model="gemini-2.0-flash")
    assert answer == answer_for("gemini-2.0-flash", "Hello")
    [request] = emu.requests
    assert (request.method, request.path) == ("POST", "/generate_response")
    assert request.form == {"user_input": "Hello", "ai_model": "gemini-2.0-flash"}
    assert request.file is None
    assert request.headers["content-type"].startswith("multipart/form-data")
    headers = request.headers
    assert headers["origin"] == emu.url
    assert headers["referer"] == emu.url + "/"
    assert headers["x-requested-with"] == "XMLHttpRequest"
    assert headers["accept"] == "*/*"
    assert headers["accept-language"] == "en-US,en;q=0.9"
    assert "Chrome/" in headers["user-agent"]


async def test_conversation_is_flattened_on_the_wire(emu: Emulator) -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Bye"},
    ]
    await ask(emu, messages)
    expected = "System: Be brief.\nUser: Hi\nAssistant: Hello!\nUser: Bye\nAssistant:"
    assert emu.requests[0].form["user_input"] == expected


async def test_default_alias_and_exact_ids_resolve(emu: Emulator) -> None:
    await ask(emu, model="")
    await ask(emu, model="gemini-flash-lite")
    await ask(emu, model="gemini-1.5-flash-8b")
    sent = [r.form["ai_model"] for r in emu.requests]
    assert sent == ["gemini-1.5-flash", "gemini-2.0-flash-lite", "gemini-1.5-flash-8b"]


async def test_unknown_model_is_refused_with_zero_requests(emu: Emulator) -> None:
    with pytest.raises(ModelNotSupportedError, match="gemini-2.0-flash-lite") as caught:
        await ask(emu, model="gpt-4o")
    assert "Aliases" in str(caught.value)
    assert emu.requests == []


@pytest.mark.parametrize(
    ("data", "mime"),
    [(JPEG, "image/jpeg"), (PNG, "image/png"), (GIF, "image/gif"), (WEBP, "image/webp")],
)
async def test_each_format_reaches_the_service_with_its_type(
    emu: Emulator, data: bytes, mime: str
) -> None:
    answer = await ask(emu, media=[(data, None)])
    file = emu.requests[0].file
    assert file is not None
    assert (file.field_name, file.content_type, file.data) == ("file", mime, data)
    assert answer == answer_for("gemini-1.5-flash", "Hello", data)


async def test_each_input_kind_sends_the_same_bytes(emu: Emulator, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "shot.png"
    path.write_bytes(PNG)
    with path.open("rb") as file:
        inputs: list[object] = [PNG, str(path), path, data_uri(PNG), file]
        for item in inputs:
            await ask(emu, media=[item])
    assert [r.file.data for r in emu.requests if r.file] == [PNG] * 5
    assert emu.requests[1].file is not None and emu.requests[1].file.filename == "shot.png"


async def test_image_url_content_part_is_the_image(emu: Emulator) -> None:
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What?"},
                {"type": "image_url", "image_url": {"url": data_uri(GIF)}},
            ],
        }
    ]
    await ask(emu, messages)
    assert emu.requests[0].file is not None and emu.requests[0].file.data == GIF
    assert emu.requests[0].form["user_input"] == "What?"


@pytest.mark.parametrize(
    ("media", "kind", "fragment"),
    [
        ([b"not an image at all"], MediaError, "not a JPEG"),
        ([b""], MediaError, "empty"),
        ([PNG + b"\0" * (20 * 1024 * 1024)], MediaError, "limit"),
        ([PNG, JPEG], MediaError, "one image per request"),
        ("png", MediaError, "must be a list"),
    ],
)
async def test_bad_images_are_refused_with_zero_requests(
    emu: Emulator, media: object, kind: type[Exception], fragment: str
) -> None:
    with pytest.raises(kind, match=fragment):
        await ask(emu, media=media)
    assert emu.requests == []


async def test_empty_prompt_and_unknown_keyword_are_refused(emu: Emulator) -> None:
    with pytest.raises(InvalidRequestError, match="no text"):
        await ask(emu, [{"role": "user", "content": "   "}])
    with pytest.raises(InvalidRequestError, match="does not take temperature"):
        await ask(emu, temperature=0.3)
    assert emu.requests == []


def named_keywords(message: str) -> set[str]:
    """The keywords a "does not take" message lists after "It takes:"."""
    listed = message.split("It takes: ", 1)[1].rstrip(".")
    listed = listed.replace("and the connection keywords ", "")
    return {name.strip() for name in listed.split(",") if name.strip()}


async def test_the_refusal_of_a_keyword_names_every_keyword_the_call_takes(emu: Emulator) -> None:
    # What the call takes, read from where it is taken: the settings' keywords, the session,
    # and the web form's one option.
    settings = set(inspect.signature(resolve_settings).parameters) - {"environ"}
    with pytest.raises(InvalidRequestError) as refused:
        await ask(emu, temperature=0.3)
    assert named_keywords(str(refused.value)) == settings | {"session", "stream"}
    assert "deadline" in named_keywords(str(refused.value))
    assert emu.requests == []


@pytest.mark.parametrize(
    ("fault", "kind", "status", "said"),
    [
        (
            Fault.status(400, "user_input is required"),
            APIStatusError,
            400,
            "user_input is required",
        ),
        (Fault.status(401, "Invalid API key"), AuthenticationError, 401, "Invalid API key"),
        (
            Fault.status(403, "Forbidden here", body_type="text"),
            AuthenticationError,
            403,
            "Forbidden here",
        ),
        (Fault.cloudflare(), CloudflareError, 403, None),
        (Fault.rate_limited(retry_after=3), RateLimitError, 429, None),
        (
            Fault.status(500, "Internal trouble", body_type="html"),
            APIStatusError,
            500,
            "Internal trouble",
        ),
        (Fault.status(502, "Bad gateway"), ServiceUnavailableError, 502, "Bad gateway"),
        (Fault.waking(), ServiceUnavailableError, 503, None),
        (
            Fault.status(504, "Gateway timeout", body_type="text"),
            ServiceUnavailableError,
            504,
            "Gateway timeout",
        ),
    ],
)
async def test_each_error_status_maps_to_its_class_and_keeps_the_message(
    emu: Emulator, fault: Fault, kind: type[APIStatusError], status: int, said: str | None
) -> None:
    emu.push(fault)
    with pytest.raises(kind) as caught:
        await ask(emu)
    assert type(caught.value) is kind
    assert caught.value.status_code == status
    assert caught.value.body
    if said:
        assert caught.value.server_message == said
        assert said in str(caught.value)
    if isinstance(caught.value, RateLimitError):
        assert caught.value.retry_after == 3.0


@pytest.mark.parametrize(
    ("fault", "fragment"),
    [(Fault.not_json(), "not JSON"), (Fault.missing_response(), "no string 'response'")],
)
async def test_a_200_that_is_not_an_answer_is_a_response_error(
    emu: Emulator, fault: Fault, fragment: str
) -> None:
    emu.push(fault)
    with pytest.raises(ResponseError, match=fragment):
        await ask(emu)


async def test_real_validation_errors_come_back_as_status_errors(emu: Emulator) -> None:
    # Bypass our own checks with a model the library knows but the service would refuse:
    # the emulator's validation is what is exercised here.
    async with aiohttp.ClientSession() as session:
        form = aiohttp.FormData({"user_input": "x", "ai_model": "nope"}, default_to_multipart=True)
        async with session.post(emu.url + "/generate_response", data=form) as response:
            assert response.status == 400


async def test_borrowed_session_is_reused_and_left_open(emu: Emulator) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            await ask(emu, session=session)
        assert not session.closed
    assert len(emu.peer_ports) == 1


async def test_session_must_be_an_aiohttp_session(emu: Emulator) -> None:
    with pytest.raises(InvalidRequestError, match="aiohttp.ClientSession"):
        await ask(emu, session="nope")


async def test_base_url_from_environment_is_read_per_call(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DYNASPARK_BASE_URL", emu.url)
    assert await collect(Dynaspark.create_async_generator("", USER)) == answer_for(
        "gemini-1.5-flash", "Hello"
    )


async def test_failures_log_cleanly(
    emu: Emulator, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG, logger="aiodynaspark")
    await ask(emu, media=[PNG])
    emu.push(Fault.status(500, "boom"))
    with pytest.raises(APIStatusError):
        await ask(emu)
    messages = [record.getMessage() for record in caplog.records]
    assert any(
        "status=200" in m and f"image={len(PNG)}B" in m and "gemini-1.5-flash" in m
        for m in messages
    )
    assert any("failed after 1 attempt" in m for m in messages)
    assert [r.levelname for r in caplog.records if "failed" in r.getMessage()] == ["WARNING"]
    assert "Logging error" not in capsys.readouterr().err


def test_create_completion_works_from_plain_sync_code() -> None:
    with Emulator.run_in_thread("127.0.0.1", 0) as emu:
        pieces = list(Dynaspark.create_completion("gemini", USER, base_url=emu.url))
    assert pieces == [answer_for("gemini-1.5-flash", "Hello")]


async def test_create_completion_refuses_inside_a_running_loop() -> None:
    with pytest.raises(InvalidRequestError, match="create_async_generator"):
        Dynaspark.create_completion("", USER)
    await asyncio.sleep(0)
