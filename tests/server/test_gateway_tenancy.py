"""Tenancy attacks on one gateway: a second key reaching the first's stored responses, a key
flooding the store, a store that cannot keep an answer."""

import asyncio
from pathlib import Path

from aiodynaspark.server.ops._keys import CallerKey, hash_key, new_key, write_keys_file
from support.gateway import GatewayFactory, fetch, sse_events
from support.tenancy import TwoKeys, as_sent, bearer, create, reach

TIMEOUT = 30.0


async def test_another_key_gets_the_unknown_id_404_for_a_stored_response(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    keys = TwoKeys(tmp_path)
    async with asyncio.timeout(TIMEOUT), start_gateway(keys_file=str(keys.path)) as root:
        made = (await create(root, keys.alice)).json()
        roots = (root, root, root)
        bob_while_stored = await reach(roots, keys.bob, made["id"])
        url = f"{root}/v1/responses/{made['id']}"
        alice_reads = await fetch("GET", url, **_as(keys.alice))
        alice_deletes = await fetch("DELETE", url, **_as(keys.alice))
        bob_once_unknown = await reach(roots, keys.bob, made["id"])
    assert [answer.status for answer in bob_while_stored] == [404, 404, 404, 404]
    assert [as_sent(answer) for answer in bob_while_stored] == [
        as_sent(answer) for answer in bob_once_unknown
    ]
    assert (alice_reads.status, alice_deletes.status) == (200, 200)


def _as(key: str) -> dict[str, dict[str, str]]:
    return {"headers": bearer(key)}


async def test_a_renamed_key_keeps_its_answers_and_a_new_key_under_its_old_name_does_not(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    path, first, second = tmp_path / "keys.toml", new_key(), new_key()
    write_keys_file(path, [CallerKey("alice", hash_key(first))])
    async with asyncio.timeout(TIMEOUT), start_gateway(keys_file=str(path)) as root:
        made = (await create(root, first)).json()
        write_keys_file(
            path, [CallerKey("carol", hash_key(first)), CallerKey("alice", hash_key(second))]
        )
        await asyncio.sleep(0.5)  # the keys file is looked at every 0.25 s
        renamed = await fetch("GET", f"{root}/v1/responses/{made['id']}", **_as(first))
        new_alice = await fetch("GET", f"{root}/v1/responses/{made['id']}", **_as(second))
    assert (renamed.status, new_alice.status) == (200, 404)


async def test_the_single_api_key_owns_its_answers(start_gateway: GatewayFactory) -> None:
    async with asyncio.timeout(TIMEOUT), start_gateway(api_key="s3cret") as root:
        made = (await create(root, "s3cret")).json()
        continued = await create(root, "s3cret", previous_response_id=made["id"])
    assert continued.status == 200


async def test_a_key_flooding_the_store_does_not_evict_another_keys_answer(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    keys = TwoKeys(tmp_path)
    options = {"keys_file": str(keys.path), "response_store_max_bytes": 300_000}
    async with asyncio.timeout(TIMEOUT), start_gateway(**options) as root:
        kept = (await create(root, keys.alice)).json()
        for _ in range(8):
            flood = await create(root, keys.bob, input="x" * 30_000)
            assert flood.json()["store"] is True
        answer = await fetch("GET", f"{root}/v1/responses/{kept['id']}", **_as(keys.alice))
    assert answer.status == 200


async def test_an_answer_the_store_cannot_keep_says_store_false(
    start_gateway: GatewayFactory,
) -> None:
    small = start_gateway(response_store_max_bytes_per_key=500)
    async with asyncio.timeout(TIMEOUT), small as root:
        made = await create(root, "", input="x" * 1000)
        found = await fetch("GET", f"{root}/v1/responses/{made.json()['id']}")
    assert made.status == 200 and made.json()["store"] is False
    assert found.status == 404


async def test_a_streamed_answer_the_store_cannot_keep_ends_saying_store_false(
    start_gateway: GatewayFactory,
) -> None:
    small = start_gateway(response_store_max_bytes_per_key=500)
    body = {"model": "gemini-2.0-flash", "input": "x" * 1000, "stream": True}
    async with asyncio.timeout(TIMEOUT), small as root:
        answer = await fetch("POST", f"{root}/v1/responses", json=body)
    events = sse_events(answer.text)
    kind, last = events[-1]
    assert kind == "response.completed"
    assert last["response"]["store"] is False
