"""The declaration of the chat options, and everything held to it.

Each surface that lists the options (the typed signatures, the providers' checks, the
gateway's schema) is compared with ``CHAT_OPTIONS`` here, so a new option that one of them
misses fails a test instead of drifting.
"""

import inspect
import typing

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiodynaspark import AsyncClient, Client, DynasparkAPI, InvalidRequestError
from aiodynaspark._chat_options import (
    CHAT_OPTIONS,
    CLIENT_KEYWORDS,
    CLIENT_REFUSED,
    GATEWAY_PASSED,
    IGNORED_OPTIONS,
    REST_OPTIONS,
)
from aiodynaspark.client._audio import AsyncSpeech
from aiodynaspark.client._chat import AsyncCompletions
from aiodynaspark.client._images import AsyncImages
from aiodynaspark.client._sync_resources import Completions, Images, Speech
from aiodynaspark.testing import Emulator

USER = [{"role": "user", "content": "hi"}]
CORE = {"self", "messages", "model", "stream", "provider", "media"}


def _overloads(function: object) -> list[inspect.Signature]:
    found = typing.get_overloads(function)  # type: ignore[arg-type]
    assert len(found) == 3, "one overload per kind of stream: False, True, a bool"
    return [inspect.signature(overload) for overload in found]


@pytest.mark.parametrize("create", [AsyncCompletions.create, Completions.create])
def test_create_signatures_list_exactly_the_declared_options(create: object) -> None:
    declared = {option.name: option.type | None for option in CHAT_OPTIONS if option.client}
    for signature in _overloads(create):
        parameters = signature.parameters
        assert all(p.kind is not p.VAR_KEYWORD for p in parameters.values())
        options = {name: p.annotation for name, p in parameters.items() if name not in CORE}
        assert options == declared
        assert all(parameters[name].default is None for name in options)


@pytest.mark.parametrize(
    "method",
    [AsyncImages.generate, AsyncSpeech.create, Images.generate, Speech.create],
    ids=["async images", "async speech", "sync images", "sync speech"],
)
def test_images_and_speech_take_no_unknown_keyword_for_a_type_checker(method: object) -> None:
    [rest] = [
        p
        for p in inspect.signature(method).parameters.values()
        if p.kind is p.VAR_KEYWORD  # type: ignore[arg-type]
    ]
    assert rest.annotation is typing.Never


def test_the_docstring_names_every_option() -> None:
    doc = AsyncCompletions.create.__doc__ or ""
    missing = [name for name in CLIENT_KEYWORDS if f"{name}:" not in doc]
    assert missing == []


def test_every_float_option_has_a_range() -> None:
    for option in CHAT_OPTIONS:
        if option.type is float:
            assert option.low is not None and option.high is not None, option.name


def test_gateway_passes_on_what_it_does_not_ignore() -> None:
    client_options = {o.name for o in CHAT_OPTIONS if o.client}
    refused = {o.name for o in CHAT_OPTIONS if o.gateway == "refuse"}
    assert set(GATEWAY_PASSED) == client_options - IGNORED_OPTIONS - refused


def test_gateway_schema_declares_every_option_with_its_range_and_doc() -> None:
    from aiodynaspark.server import create_app

    schema = create_app(ui=False).openapi()["components"]["schemas"]["ChatCompletionRequest"]
    properties = schema["properties"]
    for option in CHAT_OPTIONS:
        if not option.client and "chat" not in option.apis:
            assert option.name not in properties
            continue
        if not option.client and option.gateway == "pass":
            # A provider keyword only (json): the gateway takes response_format instead.
            assert option.name not in properties
            continue
        field = properties[option.name]
        assert option.doc in field["description"]
        if option.type is float:
            [number] = [kind for kind in field["anyOf"] if kind.get("type") == "number"]
            assert (number["minimum"], number["maximum"]) == (option.low, option.high)


@pytest.mark.parametrize("option", REST_OPTIONS, ids=lambda option: option.name)
def test_rest_provider_refuses_a_value_of_the_wrong_type(option: object) -> None:
    name = option.name  # type: ignore[attr-defined]
    with pytest.raises(InvalidRequestError, match=name):
        DynasparkAPI.prepare_chat(None, USER, None, {name: object()})


async def test_a_typo_is_a_type_error_naming_the_nearest_keyword(emu: Emulator) -> None:
    async with AsyncClient(base_url=emu.url, max_retries=0) as client:
        with pytest.raises(TypeError, match="'temprature'; did you mean 'temperature'"):
            await client.chat.completions.create(messages=USER, temprature=0.7)  # type: ignore[call-overload]
        with pytest.raises(TypeError, match="'sise'; did you mean 'size'"):
            await client.images.generate(prompt="a cat", sise="64x64")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="'voise'; did you mean 'voice'"):
            await client.audio.speech.create(input="hi", voise="nova")  # type: ignore[arg-type]
    assert emu.requests == []


def test_the_sync_client_refuses_a_typo_the_same_way() -> None:
    with Emulator.run_in_thread("127.0.0.1", 0) as emu, Client(base_url=emu.url) as client:
        with pytest.raises(TypeError, match="'temprature'; did you mean 'temperature'"):
            client.chat.completions.create(messages=USER, temprature=0.7)  # type: ignore[call-overload]
        with pytest.raises(TypeError, match="'sise'; did you mean 'size'"):
            client.images.generate(prompt="a cat", sise="64x64")  # type: ignore[arg-type]
        assert emu.requests == []


async def test_every_rest_option_reaches_the_query(emu: Emulator) -> None:
    values = {"temperature": 0.5, "top_p": 0.5, "presence_penalty": 1.0}
    values |= {"frequency_penalty": -1.0, "seed": 7, "private": True, "referrer": "tests"}
    async with AsyncClient(base_url=emu.url, max_retries=0) as client:
        await client.chat.completions.create(messages=USER, system="Be brief.", **values)  # type: ignore[call-overload]
    query = emu.requests[0].query
    assert query["system"] == "Be brief."
    assert {name: query[name] for name in values} == {
        "temperature": "0.5",
        "top_p": "0.5",
        "presence_penalty": "1.0",
        "frequency_penalty": "-1.0",
        "seed": "7",
        "private": "true",
        "referrer": "tests",
    }


async def test_ignored_options_never_reach_the_wire(emu: Emulator) -> None:
    async with AsyncClient(base_url=emu.url, max_retries=0) as client:
        await client.chat.completions.create(messages=USER, user="u", logprobs=False, store=False)
    [request] = emu.requests
    assert request.path == "/generate_response"  # ignored fields do not pick the REST API
    assert not IGNORED_OPTIONS & (set(request.form) | set(request.query))


async def test_client_side_options_never_reach_the_wire(emu: Emulator) -> None:
    async with AsyncClient(base_url=emu.url, max_retries=0) as client:
        await client.chat.completions.create(
            messages=USER,
            max_tokens=5,
            max_completion_tokens=5,
            stop="x",
            parallel_tool_calls=True,
            stream_options={"include_usage": True},
        )
    [request] = emu.requests
    assert request.path == "/generate_response"  # they do not pick the REST API either
    client_side = {o.name for o in CHAT_OPTIONS if o.handling == "client"}
    assert not client_side & (set(request.form) | set(request.query))


def test_parse_takes_the_options_of_create_but_stream_and_response_format() -> None:
    from aiodynaspark.client._parsed import PARSE_OPTIONS

    assert CLIENT_KEYWORDS - {"response_format"} == PARSE_OPTIONS


def test_the_chat_command_offers_the_options_declared_for_it() -> None:
    from aiodynaspark.cli._chat import chat

    offered = {param.name: param for param in chat.params}
    declared = [option for option in CHAT_OPTIONS if option.cli]
    assert declared, "the command line offers at least --system"
    for option in declared:
        param = offered[option.name]
        assert tuple(param.opts) == option.cli
        assert param.help == option.doc  # type: ignore[attr-defined]


# Any JSON-like value a caller might pass for a field.
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_the_client_refuses_every_value_a_refused_field_declares_it_cannot_honour(
    data: st.DataObject,
) -> None:
    option = data.draw(st.sampled_from(CLIENT_REFUSED))
    value = data.draw(_VALUES.filter(option.refuses))
    # Nothing listens there: a request sent would fail with a connection error instead.
    refused = pytest.raises(InvalidRequestError, match=rf"^{option.name}=.* cannot be honoured")
    with Client(base_url="http://127.0.0.1:1", max_retries=0) as client, refused:
        client.chat.completions.create(messages=USER, **{option.name: value})


def test_the_client_refuses_the_fields_the_gateway_refuses() -> None:
    refused = {o.name for o in CHAT_OPTIONS if o.client and o.gateway == "refuse"}
    assert {o.name for o in CLIENT_REFUSED} == refused >= {"logprobs", "n"}
