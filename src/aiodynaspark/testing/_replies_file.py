"""Scripted replies written as data: a replies file, or the body of the control route.

So that a program in any language can play a tool loop or a structured answer against the
emulator (``aiodynaspark emulator --replies FILE``, ``serve --offline --replies FILE``, or
``POST /_emulator/replies``). Each reply is one JSON value:

- a string: the model's text, sent as it is;
- ``{"text": "..."}``: the same;
- ``{"tool_calls": [{"name": ..., "arguments": {...}}]}``: the model calls tools;
- ``{"content": "..."}``: the model's answer in a conversation with tools;
- ``{"json": VALUE}``: a JSON answer (``response_format`` ``json_schema``, Anthropic's
  ``output_config.format``);

and an object may add ``"match": "TEXT"``: the reply waits for the first prompt holding TEXT.
A file holds a JSON array of replies, or one reply per line (JSONL).
"""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._script import MAX_QUEUED_REPLIES, ScriptedReply

__all__ = ["MAX_REPLIES_FILE_BYTES", "read_replies_file", "scripted_replies"]

# A replies file is a script a person writes: a few kilobytes. The bound keeps a wrong path
# (a log, a disk image) from being read whole.
MAX_REPLIES_FILE_BYTES = 16 * 1024 * 1024

_KINDS = ("text", "tool_calls", "content", "json")


def _reply(value: object, where: str) -> ScriptedReply:
    if isinstance(value, str):
        return ScriptedReply(value)
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: a reply is a string or an object, not {type(value).__name__}")
    kinds = [kind for kind in _KINDS if kind in value]
    unknown = sorted(set(value) - {*_KINDS, "match"})
    if len(kinds) != 1 or unknown:
        raise ValueError(
            f"{where}: a reply object holds exactly one of {', '.join(_KINDS)} (and may hold "
            f"match); got {', '.join(sorted(value)) or 'nothing'}"
        )
    match = value.get("match")
    if match is not None and not isinstance(match, str):
        raise ValueError(f"{where}: match must be a string")
    kind = kinds[0]
    body: Any = value[kind]
    if kind == "text":
        if not isinstance(body, str):
            raise ValueError(f"{where}: text must be a string")
        return ScriptedReply(body, match)
    if kind == "tool_calls" and not isinstance(body, list):
        raise ValueError(f"{where}: tool_calls must be a list of {{name, arguments}}")
    # What a model following the structured-output instructions writes.
    written = body if kind == "json" else {kind: body}
    return ScriptedReply(json.dumps(written, ensure_ascii=False), match)


def scripted_replies(document: object, where: str = "replies") -> list[ScriptedReply]:
    """The replies of a decoded JSON document: one reply, or a list of them.

    Raises:
        ValueError: A reply of no known shape, or too many replies.
    """
    values = document if isinstance(document, list) else [document]
    if len(values) > MAX_QUEUED_REPLIES:
        raise ValueError(f"{where}: at most {MAX_QUEUED_REPLIES} replies")
    return [_reply(value, f"{where}[{index}]") for index, value in enumerate(values)]


def read_replies_file(path: Path) -> list[ScriptedReply]:
    """The replies of a file: a JSON array (or one reply), or JSON Lines.

    Raises:
        OSError: The file cannot be read.
        ValueError: It is larger than its bound, not JSON, or holds a reply of no known shape.
    """
    with path.open("rb") as file:
        data = file.read(MAX_REPLIES_FILE_BYTES + 1)
    if len(data) > MAX_REPLIES_FILE_BYTES:
        raise ValueError(f"{path}: larger than {MAX_REPLIES_FILE_BYTES} bytes")
    text = data.decode("utf-8")
    try:
        return scripted_replies(json.loads(text), str(path))
    except json.JSONDecodeError:
        pass
    replies: list[ScriptedReply] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from None
        replies.extend(scripted_replies([value], f"{path}:{number}"))
    return replies
