"""Limits without holes, tried as an attacker: the default model against a key's model list,
every field against the text budget, quota spent only by requests that reach the host, and
every echo cut short."""

from typing import Any

import pytest
from benchmarks._limit_attacks import ROUTES_WITHOUT_MODEL, uncounted_fields

from aiodynaspark.server.ops._keys import CallerKey, hash_key, new_key, write_keys_file
from aiodynaspark.testing import Emulator
from support.gateway import GatewayFactory, fetch, prompt_of

HI = [{"role": "user", "content": "Hi"}]
ROUTES = ROUTES_WITHOUT_MODEL
CHAT = ROUTES["chat"][1]


def _keyed(tmp_path: Any, models: set[str]) -> tuple[str, dict[str, str]]:
    key = new_key()
    path = tmp_path / "keys.toml"
    write_keys_file(path, [CallerKey("alice", hash_key(key), models=frozenset(models))])
    return str(path), {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("named", ["omitted", "null"])
async def test_a_key_limited_to_a_model_is_refused_the_default_model_on_every_route(
    start_gateway: GatewayFactory, emu: Emulator, tmp_path: Any, route: str, named: str
) -> None:
    keys, headers = _keyed(tmp_path, {"gemini-2.0-flash"})
    path, body = ROUTES[route]
    if named == "null":
        body = {**body, "model": None}
    async with start_gateway(keys_file=keys) as root:
        answer = await fetch("POST", root + path, json=body, headers=headers)
    assert answer.status == 403, answer.body
    assert b"gemini-2.0-flash" in answer.body
    assert emu.requests == []


@pytest.mark.parametrize(
    ("allowed", "named"),
    [("gemini-2.0-flash", "gemini-flash"), ("gemini-flash", "gemini-2.0-flash")],
)
async def test_an_alias_and_the_model_it_names_are_one_model_to_a_key(
    start_gateway: GatewayFactory, emu: Emulator, tmp_path: Any, allowed: str, named: str
) -> None:
    keys, headers = _keyed(tmp_path, {allowed})
    async with start_gateway(keys_file=keys) as root:
        answer = await fetch(
            "POST", root + "/v1/chat/completions", json={**CHAT, "model": named}, headers=headers
        )
    assert answer.status == 200, answer.body
    assert len(emu.requests) == 1


async def test_a_key_allowed_the_default_model_may_leave_the_model_out(
    start_gateway: GatewayFactory, emu: Emulator, tmp_path: Any
) -> None:
    keys, headers = _keyed(tmp_path, {"gemini-1.5-flash"})
    async with start_gateway(keys_file=keys) as root:
        answer = await fetch("POST", root + "/v1/chat/completions", json=CHAT, headers=headers)
    assert answer.status == 200, answer.body


# One character past a budget of 1,000, in one field alone.
UNCOUNTED = uncounted_fields("x" * 1001)


@pytest.mark.parametrize("field", list(UNCOUNTED))
async def test_every_field_counts_toward_the_text_budget_and_nothing_goes_upstream(
    start_gateway: GatewayFactory, emu: Emulator, field: str
) -> None:
    path, body = UNCOUNTED[field]
    async with start_gateway(max_text_chars=1000) as root:
        answer = await fetch("POST", root + path, json=body)
    assert answer.status == 400, answer.body
    assert b"max_text_chars" in answer.body
    assert emu.requests == []


async def test_a_body_within_the_budget_is_not_refused_for_its_text(
    start_gateway: GatewayFactory,
) -> None:
    path, body = UNCOUNTED["chat tool description"]
    async with start_gateway(max_text_chars=1200) as root:
        answer = await fetch("POST", root + path, json=body)
    assert answer.status == 200, answer.body


async def _two_chats(root: str) -> list[int]:
    return [
        (await fetch("POST", root + "/v1/chat/completions", json=CHAT)).status for _ in range(2)
    ]


async def test_posts_to_a_route_that_does_not_exist_spend_no_upstream_quota(
    start_gateway: GatewayFactory,
) -> None:
    async with start_gateway(upstream_rate_limit="2/hour") as root:
        missing = {(await fetch("POST", root + "/v1/nothing", json=CHAT)).status for _ in range(50)}
        assert await _two_chats(root) == [200, 200]
    assert missing == {404}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"model": "gemini-2.0-flash"}, 400),  # no messages
        ({**CHAT, "model": "gpt-9"}, 404),  # no such model
        ({**CHAT, "temperature": 9}, 400),  # out of range
    ],
    ids=["malformed", "unknown model", "bad option"],
)
async def test_refused_requests_spend_no_upstream_quota(
    start_gateway: GatewayFactory, body: dict[str, Any], status: int
) -> None:
    async with start_gateway(upstream_rate_limit="2/hour") as root:
        refused = {
            (await fetch("POST", root + "/v1/chat/completions", json=body)).status for _ in range(5)
        }
        assert await _two_chats(root) == [200, 200]
    assert refused == {status}


async def test_a_model_the_key_may_not_use_spends_no_upstream_quota(
    start_gateway: GatewayFactory, tmp_path: Any
) -> None:
    keys, headers = _keyed(tmp_path, {"gemini-2.0-flash"})
    async with start_gateway(keys_file=keys, upstream_rate_limit="1/hour") as root:
        refused = await fetch("POST", root + "/v1/chat/completions", json=CHAT, headers=headers)
        allowed = await fetch(
            "POST",
            root + "/v1/chat/completions",
            json={**CHAT, "model": "gemini-2.0-flash"},
            headers=headers,
        )
    assert (refused.status, allowed.status) == (403, 200)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/audio/speech", {"input": "Hi", "voice": "v" * 100_000}),
        ("/v1/images/generations", {"prompt": "a cat", "size": "9" * 100_000}),
        ("/v1/chat/completions", {**CHAT, "provider": "p" * 100_000}),
        ("/v1/" + "n" * 5000, CHAT),
        ("/v1/models/" + "m" * 5000, None),
    ],
    ids=["voice", "size", "provider", "path", "model id"],
)
async def test_a_caller_value_quoted_in_an_error_is_cut_short(
    gateway: str, path: str, body: dict[str, Any] | None
) -> None:
    method = "GET" if body is None else "POST"
    answer = await fetch(method, gateway + path, json=body)
    message = answer.json()["error"]["message"]
    assert 400 <= answer.status < 500
    assert len(message) < 600
    assert "more characters" in message


async def test_a_developer_message_is_the_system_prompt_on_the_web_form(
    gateway: str, emu: Emulator
) -> None:
    messages = [{"role": "developer", "content": "Be brief."}, *HI]
    body = {"provider": "web", "messages": messages}
    answer = await fetch("POST", gateway + "/v1/chat/completions", json=body)
    assert answer.status == 200, answer.body
    assert emu.requests[-1].path == "/generate_response"
    assert prompt_of(emu).startswith("System: Be brief.\nUser: Hi\n")
