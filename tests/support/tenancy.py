"""Two caller keys and what they see of each other's stored responses, on any gateways."""

from pathlib import Path
from typing import Any

from aiodynaspark.server.ops._keys import CallerKey, hash_key, new_key, write_keys_file
from support.gateway import Answer, fetch

# Headers that differ between any two answers, whatever they say.
PER_ANSWER_HEADERS = {"date", "x-request-id"}


class TwoKeys:
    """A keys file holding the keys of ``alice`` and ``bob``."""

    def __init__(self, directory: Path) -> None:
        self.alice, self.bob = new_key(), new_key()
        self.path = directory / "keys.toml"
        write_keys_file(
            self.path,
            [CallerKey("alice", hash_key(self.alice)), CallerKey("bob", hash_key(self.bob))],
        )


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def create(root: str, key: str, **fields: Any) -> Answer:
    """``POST /v1/responses`` with ``key``; a short prompt unless ``fields`` say otherwise."""
    body = {"model": "gemini-2.0-flash", "input": "Hi", **fields}
    return await fetch("POST", f"{root}/v1/responses", json=body, headers=bearer(key))


async def reach(roots: tuple[str, str, str], key: str, response_id: str) -> list[Answer]:
    """GET (the response, its input items) on the first gateway, DELETE on the second,
    continue on the third, with ``key``."""
    url = f"/v1/responses/{response_id}"
    return [
        await fetch("GET", roots[0] + url, headers=bearer(key)),
        await fetch("GET", roots[0] + url + "/input_items", headers=bearer(key)),
        await fetch("DELETE", roots[1] + url, headers=bearer(key)),
        await create(roots[2], key, previous_response_id=response_id),
    ]


def as_sent(answer: Answer) -> tuple[int, bytes, dict[str, str]]:
    """An answer's status, body and headers, less the headers every answer has its own of."""
    headers = {k: v for k, v in answer.headers.items() if k not in PER_ANSWER_HEADERS}
    return answer.status, answer.body, headers
