"""The keys file: named caller keys, each stored as its SHA-256 digest, never in plain text.

The file is TOML, one table per key::

    [keys.alice]
    sha256 = "6f1c..."          # digest of the key, hex
    rate_limit = "60/minute"    # optional
    models = ["gemini-2.0-flash"]  # optional: the only models this key may use
    created = "2026-11-28T05:40:00Z"

A plain SHA-256 is enough here, with no salt and no slow hash: each key is 256 random bits
from :mod:`secrets`, so there is no dictionary to try and no way to search the space, and a
fast digest lets the gateway find a key with one dictionary lookup per request. (Salted slow
hashes exist for passwords people choose, which are guessable.)

The file is read with :mod:`tomllib`. It is written by a dozen lines here rather than a TOML
library: every value the gateway writes is a name, a digest, a rate, a time or a model id,
each checked against a narrow character set, so no quoting rules beyond JSON's are needed.
"""

import contextlib
import datetime
import hashlib
import json
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ._rates import Rate, parse_rate

__all__ = [
    "KEY_PREFIX",
    "MAX_KEYS",
    "MAX_KEYS_FILE_BYTES",
    "CallerKey",
    "KeysFileError",
    "check_private",
    "hash_key",
    "new_key",
    "read_keys_file",
    "write_keys_file",
]

# Marks a gateway key in logs and secret scanners, as OpenAI's "sk-" does.
KEY_PREFIX = "sk-ads-"
# Bounds on what a reload reads: far above any real deployment's keys.
MAX_KEYS_FILE_BYTES = 1024 * 1024
MAX_KEYS = 10_000
MAX_MODELS_PER_KEY = 64

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}")
_DIGEST = re.compile(r"[0-9a-f]{64}")
_HEADER = (
    "# Caller keys of the aiodynaspark gateway, written by `aiodynaspark keys`.\n"
    "# Only each key's SHA-256 digest is kept; the key itself was shown once, when added.\n"
)


class KeysFileError(ValueError):
    """Raised when the keys file is missing or others may change or read it."""


def check_private(path: Path, mode: int) -> None:
    """Refuse a keys file that its group or others may read or write, as ssh refuses keys.

    Whoever may write the file may add a key of their own; whoever may read it learns each
    key's digest, and its name and limits.

    Args:
        path: The file, for the message.
        mode: Its ``st_mode``.

    Raises:
        KeysFileError: Group or others have read or write permission.
    """
    if mode & 0o066:
        raise KeysFileError(
            f"The keys file {path} may be read or written by other users (mode "
            f"{stat.S_IMODE(mode):o}); it holds key digests, so the gateway refuses it. "
            f"Run: chmod 600 {path}"
        )


@dataclass(frozen=True, slots=True)
class CallerKey:
    """One named caller key, as the keys file holds it.

    Attributes:
        name: Its name (letters, digits, ``_ . -``); shown in logs and metrics.
        digest: SHA-256 of the key, hex.
        rate_limit: Requests it may make, or ``None`` for no limit of its own.
        models: The only models it may ask for, or ``None`` for any.
        created: When it was added (ISO 8601, UTC).
    """

    name: str
    digest: str
    rate_limit: Rate | None = None
    models: frozenset[str] | None = None
    created: str = ""


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid key name.

    Raises:
        ValueError: It is not: 1 to 64 of letters, digits, ``_``, ``.``, ``-``.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"A key name is 1 to 64 letters, digits, '_', '.' or '-', starting with a letter "
            f"or digit; {name!r} is not."
        )
    return name


def check_models(models: Iterable[str]) -> frozenset[str]:
    """Return the model ids as a set if each is a plausible id.

    Raises:
        ValueError: One is not, or there are too many.
    """
    chosen = frozenset(models)
    for model in chosen:
        if not isinstance(model, str) or not _MODEL.fullmatch(model):
            raise ValueError(f"{model!r} is not a model id.")
    if len(chosen) > MAX_MODELS_PER_KEY:
        raise ValueError(f"A key may list at most {MAX_MODELS_PER_KEY} models.")
    return chosen


def hash_key(key: str | bytes) -> str:
    """The hex SHA-256 digest under which a key is stored."""
    return hashlib.sha256(key.encode() if isinstance(key, str) else key).hexdigest()


def new_key() -> str:
    """A new random key: the prefix and 256 bits from :mod:`secrets`, URL-safe base64."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _entry(name: str, table: object) -> CallerKey:
    if not isinstance(table, Mapping):
        raise ValueError(f"keys.{name} must be a table.")
    unknown = set(table) - {"sha256", "rate_limit", "models", "created"}
    if unknown:
        raise ValueError(f"keys.{name} has unknown field(s): {', '.join(sorted(unknown))}.")
    digest = table.get("sha256")
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise ValueError(f"keys.{name}.sha256 must be 64 lowercase hex digits.")
    rate = table.get("rate_limit")
    models = table.get("models")
    if models is not None and not isinstance(models, list):
        raise ValueError(f"keys.{name}.models must be a list of model ids.")
    created = table.get("created", "")
    return CallerKey(
        check_name(name),
        digest,
        None if rate is None else parse_rate(str(rate)),
        None if models is None else check_models(models),
        created if isinstance(created, str) else str(created),
    )


def read_keys_file(path: Path) -> dict[str, CallerKey]:
    """Read the keys file, bounded in size and count.

    Args:
        path: The file.

    Returns:
        The keys by name, in file order.

    Raises:
        OSError: It cannot be read (``FileNotFoundError`` when it does not exist).
        ValueError: It is too large, not TOML, or holds a malformed key.
    """
    with open(path, "rb") as file:
        raw = file.read(MAX_KEYS_FILE_BYTES + 1)
    if len(raw) > MAX_KEYS_FILE_BYTES:
        raise ValueError(f"{path} is larger than {MAX_KEYS_FILE_BYTES:,} bytes.")
    # Imported here, not at start: a gateway without a keys file never needs it; with one,
    # the file is first read while the app is built (a 3 ms import, off any request).
    import tomllib

    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not a valid TOML file: {exc}") from None
    tables = document.get("keys", {})
    if not isinstance(tables, dict):
        raise ValueError(f"{path}: 'keys' must be a table of keys.")
    if len(tables) > MAX_KEYS:
        raise ValueError(f"{path} holds more than {MAX_KEYS:,} keys.")
    return {name: _entry(name, table) for name, table in tables.items()}


def _line(name: str, value: object) -> str:
    # Every value is checked against a narrow character set first, so JSON's quoting is
    # also valid TOML (a basic string, or an array of them).
    return f"{name} = {json.dumps(value, ensure_ascii=False)}\n"


def render_keys_file(keys: Iterable[CallerKey]) -> str:
    """The keys file's text for ``keys``; :func:`read_keys_file` reads it back unchanged."""
    parts = [_HEADER]
    for key in keys:
        parts.append(f"\n[keys.{check_name(key.name)}]\n")
        parts.append(_line("sha256", key.digest))
        if key.rate_limit is not None:
            parts.append(_line("rate_limit", str(key.rate_limit)))
        if key.models is not None:
            parts.append(_line("models", sorted(check_models(key.models))))
        if key.created:
            parts.append(_line("created", key.created))
    return "".join(parts)


def write_keys_file(path: Path, keys: Iterable[CallerKey]) -> None:
    """Replace the keys file at once (write aside, then rename).

    A gateway reading the file while it is written sees the old file or the new, never half.
    The file is readable and writable by its owner only (``0600``): the gateway refuses one
    that its group or others may read or write (:func:`check_private`). A rewritten file
    keeps its owner's permissions and its group.

    Raises:
        OSError: The directory is not writable.
    """
    text = render_keys_file(keys)
    directory = path.parent
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        _keep_access(path, temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _keep_access(path: Path, temporary: str) -> None:
    try:
        before = os.stat(path)
    except FileNotFoundError:
        os.chmod(temporary, 0o600)
        return
    os.chmod(temporary, before.st_mode & 0o700)
    with contextlib.suppress(PermissionError):
        os.chown(temporary, -1, before.st_gid)


def utc_now() -> str:
    """The time now, as the keys file writes it."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
