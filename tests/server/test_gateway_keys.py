"""Caller keys: the keys file, its digests, reloads, model lists, limits and the keys command."""

import asyncio
from pathlib import Path

import pytest

from aiodynaspark.cli import main
from aiodynaspark.server.ops._key_store import KEYS_CHECK_INTERVAL, KeyStore
from aiodynaspark.server.ops._keys import (
    CallerKey,
    KeysFileError,
    hash_key,
    new_key,
    read_keys_file,
    write_keys_file,
)
from aiodynaspark.server.ops._rates import parse_rate
from aiodynaspark.testing import Emulator
from support.gateway import GatewayFactory, assert_openai_error, fetch

HI = {"model": "gemini-2.0-flash", "messages": [{"role": "user", "content": "Hi"}]}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def keys_file(tmp_path: Path, **entries: CallerKey) -> Path:
    path = tmp_path / "keys.toml"
    write_keys_file(path, entries.values())
    return path


def test_keys_add_prints_a_key_once_and_stores_only_its_digest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "keys.toml"
    argv = ["keys", "add", "alice", "--rate-limit", "10/minute", "--model", "gemini-2.0-flash"]
    assert main([*argv, "--file", str(path)]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("sk-ads-") and len(key) > 40
    text = path.read_text()
    assert key not in text
    assert hash_key(key) in text
    assert path.stat().st_mode & 0o077 == 0
    entry = read_keys_file(path)["alice"]
    assert (entry.rate_limit, entry.models) == (parse_rate("10/minute"), {"gemini-2.0-flash"})


def test_keys_list_shows_names_and_limits_never_digests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "keys.toml"
    assert main(["keys", "add", "bob", "--file", str(path)]) == 0
    capsys.readouterr()
    assert main(["keys", "list", "--file", str(path)]) == 0
    listed = capsys.readouterr().out
    assert listed.startswith("bob\tunlimited\tany\t")
    assert read_keys_file(path)["bob"].digest not in listed


def test_keys_revoke_removes_the_key_and_refuses_an_unknown_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "keys.toml"
    assert main(["keys", "add", "carol", "--file", str(path)]) == 0
    assert main(["keys", "revoke", "carol", "--file", str(path)]) == 0
    assert read_keys_file(path) == {}
    assert main(["keys", "revoke", "carol", "--file", str(path)]) == 2
    assert "no key named 'carol'" in capsys.readouterr().err


async def test_a_key_of_the_file_is_accepted_and_others_are_401(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    key = new_key()
    path = keys_file(tmp_path, alice=CallerKey("alice", hash_key(key)))
    async with start_gateway(keys_file=str(path)) as root:
        allowed = await fetch("GET", f"{root}/v1/models", headers=bearer(key))
        wrong = await fetch("GET", f"{root}/v1/models", headers=bearer(key + "x"))
        digest = await fetch("GET", f"{root}/v1/models", headers=bearer(hash_key(key)))
    assert allowed.status == 200
    assert_openai_error(wrong, 401)
    assert_openai_error(digest, 401)


async def test_the_single_api_key_keeps_working_beside_the_keys_file(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    path = keys_file(tmp_path, alice=CallerKey("alice", hash_key(new_key())))
    async with start_gateway(keys_file=str(path), api_key="s3cret") as root:
        answer = await fetch("GET", f"{root}/v1/models", headers=bearer("s3cret"))
    assert answer.status == 200


async def test_a_revoked_key_is_refused_once_the_file_is_looked_at_again(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    key, other = new_key(), new_key()
    path = keys_file(
        tmp_path,
        alice=CallerKey("alice", hash_key(key)),
        bob=CallerKey("bob", hash_key(other)),
    )
    async with start_gateway(keys_file=str(path)) as root, asyncio.timeout(20):
        assert (await fetch("GET", f"{root}/v1/models", headers=bearer(key))).status == 200
        write_keys_file(path, [CallerKey("bob", hash_key(other))])
        status = 200
        # Polls spaced by a fifth of the check interval: the revocation shows in a few.
        for _ in range(400):
            status = (await fetch("GET", f"{root}/v1/models", headers=bearer(key))).status
            if status != 200:
                break
            await asyncio.sleep(KEYS_CHECK_INTERVAL / 5)
        still = await fetch("GET", f"{root}/v1/models", headers=bearer(other))
    assert status == 401
    assert still.status == 200


def test_the_keys_file_is_looked_at_once_per_interval_not_per_request(tmp_path: Path) -> None:
    key = new_key()
    path = keys_file(tmp_path, alice=CallerKey("alice", hash_key(key)))
    now = [100.0]
    store = KeyStore(path, None, clock=lambda: now[0])
    assert store.find(key.encode()) is not None  # the first look, at 100.0
    write_keys_file(path, [])
    now[0] += KEYS_CHECK_INTERVAL * 0.99
    assert store.find(key.encode()) is not None  # within the interval: not looked at
    now[0] += KEYS_CHECK_INTERVAL * 0.02
    assert store.find(key.encode()) is None  # the interval is over: the revocation shows


async def test_a_malformed_edit_keeps_the_keys_read_before(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    key = new_key()
    path = keys_file(tmp_path, alice=CallerKey("alice", hash_key(key)))
    async with start_gateway(keys_file=str(path)) as root:
        path.write_text("[keys.alice\nsha256 = ")
        await asyncio.sleep(2 * 0.25)
        answer = await fetch("GET", f"{root}/v1/models", headers=bearer(key))
    assert answer.status == 200


async def test_a_key_limited_to_models_gets_403_for_another_without_calling_the_host(
    start_gateway: GatewayFactory, tmp_path: Path, emu: Emulator
) -> None:
    key = new_key()
    entry = CallerKey("alice", hash_key(key), models=frozenset({"gemini-1.5-flash"}))
    path = keys_file(tmp_path, alice=entry)
    async with start_gateway(keys_file=str(path)) as root:
        refused = await fetch("POST", f"{root}/v1/chat/completions", json=HI, headers=bearer(key))
        allowed = await fetch(
            "POST",
            f"{root}/v1/chat/completions",
            json={**HI, "model": "gemini-1.5-flash"},
            headers=bearer(key),
        )
    error = assert_openai_error(refused, 403)
    assert (error["code"], error["param"]) == ("model_not_allowed", "model")
    assert allowed.status == 200
    assert len(emu.requests) == 1


async def test_answers_carry_the_keys_openai_rate_limit_headers(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    key = new_key()
    path = keys_file(tmp_path, alice=CallerKey("alice", hash_key(key), parse_rate("3/minute")))
    async with start_gateway(keys_file=str(path)) as root:
        answers = [
            await fetch("POST", f"{root}/v1/chat/completions", json=HI, headers=bearer(key))
            for _ in range(4)
        ]
    assert [a.status for a in answers] == [200, 200, 200, 429]
    assert [a.headers["x-ratelimit-remaining-requests"] for a in answers] == ["2", "1", "0", "0"]
    assert {a.headers["x-ratelimit-limit-requests"] for a in answers} == {"3"}
    assert answers[0].headers["x-ratelimit-reset-requests"] in ("1m0s", "59.999s", "60s")
    error = assert_openai_error(answers[3], 429)
    assert error["code"] == "rate_limit_exceeded"
    assert "3/minute" in error["message"]
    assert 55 <= int(answers[3].headers["retry-after"]) <= 60


def test_a_missing_keys_file_stops_the_gateway_before_it_starts(tmp_path: Path) -> None:
    with pytest.raises(KeysFileError, match="does not exist"):
        KeyStore(tmp_path / "keys.toml", None)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o602])
def test_a_keys_file_others_may_read_or_write_stops_the_gateway_before_it_starts(
    tmp_path: Path, mode: int
) -> None:
    path = keys_file(tmp_path, alice=CallerKey("alice", hash_key(new_key())))
    path.chmod(mode)
    with pytest.raises(KeysFileError, match=f"chmod 600 {path}"):
        KeyStore(path, None)


def test_a_key_written_into_a_file_others_may_write_is_not_accepted(tmp_path: Path) -> None:
    key, intruder = new_key(), new_key()
    alice = CallerKey("alice", hash_key(key))
    path = keys_file(tmp_path, alice=alice)
    now = [100.0]
    store = KeyStore(path, None, clock=lambda: now[0])
    write_keys_file(path, [alice, CallerKey("mallory", hash_key(intruder))])
    path.chmod(0o666)
    now[0] += 2 * KEYS_CHECK_INTERVAL
    assert store.find(intruder.encode()) is None
    assert store.find(key.encode()) is not None  # the keys read before stay


async def test_a_request_that_never_calls_the_host_carries_the_keys_limit_headers(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    key = new_key()
    path = keys_file(tmp_path, alice=CallerKey("alice", hash_key(key), parse_rate("3/minute")))
    async with start_gateway(keys_file=str(path)) as root:
        answer = await fetch("GET", f"{root}/v1/models", headers=bearer(key))
    assert answer.status == 200
    assert answer.headers["x-ratelimit-remaining-requests"] == "2"
