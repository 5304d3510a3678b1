"""Bad input that only the library finds, after the quota was taken, spends no quota.

The gateway takes the upstream quota once a body is valid and its model allowed; the
library's own checks (a voice, an image size, a tool's schema, ...) come after. Each kind of
bad request it refuses is sent many times over a small quota, then a good request must still
get through, alone and across two gateways sharing a real Redis; a request that reached the
host keeps its unit.
"""

import asyncio
from typing import Any

import pytest

from aiodynaspark.testing import Emulator
from support.gateway import GatewayFactory, fetch

MODEL = "gemini-2.0-flash"
HI = [{"role": "user", "content": "Hi"}]
GOOD = ("/v1/chat/completions", {"model": MODEL, "messages": HI}, {})
BAD_IMAGE = "data:image/png;base64,!!!!"
FUNCTION = {"type": "function", "function": {"name": "f"}}
NO_SCHEMA = {"type": "nope"}
CHAT = "/v1/chat/completions"
RESPONSES = "/v1/responses"
MESSAGES = "/v1/messages"


def _chat(**fields: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": HI, **fields}


def _responses(**fields: Any) -> dict[str, Any]:
    return {"model": MODEL, "input": "Hi", **fields}


def _messages(**fields: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 16, "messages": HI, **fields}


# Every kind of body the schemas pass and the library refuses, per route that calls the host.
BAD: dict[str, tuple[str, dict[str, Any], dict[str, str]]] = {
    "chat stop": (CHAT, _chat(stop=["a", "b", "c", "d", "e"]), {}),
    "chat required without tools": (CHAT, _chat(tool_choice="required"), {}),
    "chat two tools named alike": (CHAT, _chat(tools=[FUNCTION, FUNCTION]), {}),
    "chat tool choice not among tools": (
        CHAT,
        _chat(tools=[FUNCTION], tool_choice={"type": "function", "function": {"name": "g"}}),
        {},
    ),
    "chat json schema": (
        CHAT,
        _chat(
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "x", "schema": NO_SCHEMA},
            }
        ),
        {},
    ),
    "chat unknown provider": (CHAT, _chat(provider="nope"), {}),
    "chat no provider": (CHAT, _chat(provider=[]), {}),
    "chat no text": (CHAT, _chat(messages=[{"role": "user", "content": ""}]), {}),
    "chat truncation header": (CHAT, _chat(), {"x-aiodynaspark-truncation": "bogus"}),
    "chat malformed image": (
        CHAT,
        _chat(
            messages=[
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": BAD_IMAGE}}],
                }
            ]
        ),
        {},
    ),
    "chat stream": (CHAT, _chat(stream=True, tool_choice="required"), {}),
    "chat web form stream": (CHAT, _chat(stream=True, provider="web", tool_choice="required"), {}),
    "responses required without tools": (RESPONSES, _responses(tool_choice="required"), {}),
    "responses json schema": (
        RESPONSES,
        _responses(text={"format": {"type": "json_schema", "name": "x", "schema": NO_SCHEMA}}),
        {},
    ),
    "responses tool schema": (
        RESPONSES,
        _responses(tools=[{"type": "function", "name": "f", "parameters": NO_SCHEMA}]),
        {},
    ),
    "responses malformed image": (
        RESPONSES,
        _responses(
            input=[{"role": "user", "content": [{"type": "input_image", "image_url": BAD_IMAGE}]}]
        ),
        {},
    ),
    "responses stream": (RESPONSES, _responses(stream=True, tool_choice="required"), {}),
    "messages any without tools": (MESSAGES, _messages(tool_choice={"type": "any"}), {}),
    "messages tool schema": (
        MESSAGES,
        _messages(tools=[{"name": "f", "input_schema": NO_SCHEMA}]),
        {},
    ),
    "messages malformed image": (
        MESSAGES,
        _messages(
            messages=[
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/png", "data": "!!!!"},
                        }
                    ],
                }
            ]
        ),
        {},
    ),
    "messages stream": (MESSAGES, _messages(stream=True, tool_choice={"type": "any"}), {}),
    "image size out of range": ("/v1/images/generations", {"prompt": "a cat", "size": "10x10"}, {}),
    "image size malformed": ("/v1/images/generations", {"prompt": "a cat", "size": "big"}, {}),
    "image blank prompt": ("/v1/images/generations", {"prompt": " "}, {}),
    "speech unknown voice": ("/v1/audio/speech", {"input": "Hi", "voice": "nope"}, {}),
    "speech blank text": ("/v1/audio/speech", {"input": " "}, {}),
}
# Many times the quota: every one of them would drain it if it spent a unit.
ATTEMPTS = 12
QUOTA = "3/hour"


async def _post(root: str, request: tuple[str, dict[str, Any], dict[str, str]]) -> int:
    path, body, headers = request
    return (await fetch("POST", root + path, json=body, headers=headers)).status


@pytest.mark.parametrize("kind", list(BAD))
async def test_a_request_the_library_refuses_spends_no_upstream_quota(
    start_gateway: GatewayFactory, emu: Emulator, kind: str
) -> None:
    async with start_gateway(upstream_rate_limit=QUOTA) as root:
        refused = {await _post(root, BAD[kind]) for _ in range(ATTEMPTS)}
        good = [await _post(root, GOOD) for _ in range(3)]
    assert refused == {400}
    assert good == [200, 200, 200]
    assert len(emu.requests) == 3


async def test_refused_requests_across_gateways_sharing_redis_spend_no_shared_quota(
    start_gateway: GatewayFactory, emu: Emulator, redis_url: str
) -> None:
    options = {"redis_url": redis_url, "upstream_rate_limit": QUOTA}
    async with start_gateway(**options) as one, start_gateway(**options) as two:
        async with asyncio.timeout(60):
            refused = {await _post(root, bad) for bad in BAD.values() for root in (one, two)}
            good = [await _post(root, GOOD) for root in (one, two, one, two)]
    assert refused == {400}
    assert good == [200, 200, 200, 429]  # exactly the quota: nothing given back twice
    assert len(emu.requests) == 3


async def test_a_refusal_after_the_host_was_called_keeps_its_unit(
    start_gateway: GatewayFactory, emu: Emulator
) -> None:
    # The host refuses the image's URL as too long (414): the library then refuses the
    # prompt as too long, but the call reached the host and spent its quota.
    emu.url_limit = 200
    long_prompt = ("/v1/images/generations", {"prompt": "a cat " * 50}, {})
    async with start_gateway(upstream_rate_limit="2/hour") as root:
        refused = [await _post(root, long_prompt) for _ in range(2)]
        after = await _post(root, GOOD)
    assert refused == [400, 400]
    assert after == 429


async def test_a_key_own_limit_is_given_back_with_the_quota(
    start_gateway: GatewayFactory, tmp_path: Any
) -> None:
    from aiodynaspark.server.ops._keys import CallerKey, hash_key, new_key, write_keys_file
    from aiodynaspark.server.ops._rates import parse_rate

    key = new_key()
    path = tmp_path / "keys.toml"
    write_keys_file(path, [CallerKey("alice", hash_key(key), rate_limit=parse_rate("2/hour"))])
    headers = {"Authorization": f"Bearer {key}"}
    bad_path, bad_body, _ = BAD["speech unknown voice"]
    async with start_gateway(keys_file=str(path)) as root:
        refused = {
            (await fetch("POST", root + bad_path, json=bad_body, headers=headers)).status
            for _ in range(ATTEMPTS)
        }
        good = [
            (await fetch("POST", root + GOOD[0], json=GOOD[1], headers=headers)).status
            for _ in range(3)
        ]
    assert refused == {400}
    assert good == [200, 200, 429]


async def test_a_refused_request_says_its_unit_is_back_in_its_headers_and_metrics(
    start_gateway: GatewayFactory,
) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    path, body, headers = BAD["speech unknown voice"]
    async with start_gateway(upstream_rate_limit=QUOTA) as root:
        refused = await fetch("POST", root + path, json=body, headers=headers)
        scrape = (await fetch("GET", f"{root}/metrics")).text
    [gauge] = [
        sample.value
        for family in text_string_to_metric_families(scrape)
        for sample in family.samples
        if sample.name == "aiodynaspark_quota_remaining" and sample.labels["limit"] == "upstream"
    ]
    assert refused.status == 400
    assert refused.headers["x-ratelimit-remaining-requests"] == "3"
    assert gauge == 3


async def test_a_gateway_with_a_client_of_its_own_gives_nothing_back(
    start_gateway: GatewayFactory, emu: Emulator
) -> None:
    from aiodynaspark import AsyncClient

    # It cannot see that client's attempts, so it cannot tell a refusal before sending.
    client = AsyncClient(base_url=emu.url, max_retries=0)
    async with client, start_gateway(client=client, upstream_rate_limit="2/hour") as root:
        refused = [await _post(root, BAD["speech unknown voice"]) for _ in range(2)]
        after = await _post(root, GOOD)
    assert refused == [400, 400]
    assert after == 429
