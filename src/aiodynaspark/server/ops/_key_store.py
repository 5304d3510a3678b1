"""Who may call the gateway: the keys file, re-read when it changes, and the single API key."""

import hashlib
import hmac
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from ._keys import CallerKey, KeysFileError, check_private, hash_key, read_keys_file

__all__ = ["DEFAULT_KEY_NAME", "KEYS_CHECK_INTERVAL", "KeyStore"]

_log = logging.getLogger(__name__)

# How often the keys file's modification time is looked at, at most: a revoked key stops
# working on every gateway within this, and a busy gateway pays one stat() per interval,
# not one per request.
KEYS_CHECK_INTERVAL = 0.25
# The name the single --api-key goes by in logs and metrics.
DEFAULT_KEY_NAME = "default"


def _identity(stat: os.stat_result) -> tuple[int, int, int]:
    # A rename-over-the-file (how the file is written) changes the inode even when the
    # modification time's resolution hides the change.
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


class KeyStore:
    """Finds the caller key a request presents.

    Args:
        keys_file: The keys file, or ``None``; it must exist when the store is built.
        api_key: The single key of ``--api-key``, or ``None``; known as ``default``.
        clock: Monotonic seconds; replaceable in tests.

    Raises:
        KeysFileError: The keys file does not exist, or its group or others may read or
            write it.
        OSError, ValueError: The keys file cannot be read, or is malformed.
    """

    def __init__(
        self,
        keys_file: Path | None,
        api_key: str | None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._path = keys_file
        self._api_key = api_key.encode() if api_key else None
        # Its digest makes it an owner of stored answers like any key of the file.
        self._default = CallerKey(DEFAULT_KEY_NAME, hash_key(api_key) if api_key else "")
        self._clock = clock
        self._by_digest: dict[bytes, CallerKey] = {}
        self._identity: tuple[int, int, int] | None = None
        self._next_check = 0.0
        if keys_file is not None:
            try:
                found = os.stat(keys_file)
            except FileNotFoundError:
                raise KeysFileError(
                    f"The keys file {keys_file} does not exist; add a key to create it "
                    f"(aiodynaspark keys add NAME --file {keys_file}), or leave keys_file unset."
                ) from None
            self._load(keys_file, found)

    @property
    def required(self) -> bool:
        """Whether callers must present a key at all."""
        return self._path is not None or self._api_key is not None

    def _load(self, path: Path, stat: os.stat_result) -> None:
        check_private(path, stat.st_mode)
        keys = read_keys_file(path)
        self._by_digest = {bytes.fromhex(key.digest): key for key in keys.values()}
        self._identity = _identity(stat)
        _log.info("Read %d caller key(s) from %s", len(keys), path)

    def _refresh(self) -> None:
        path = self._path
        if path is None:
            return
        now = self._clock()
        if now < self._next_check:
            return
        self._next_check = now + KEYS_CHECK_INTERVAL
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            if self._by_digest:
                # A deleted file revokes every key in it: refusing is the safe reading.
                _log.warning("The keys file %s is gone: its keys no longer work", path)
            self._by_digest, self._identity = {}, None
            return
        except OSError as exc:
            _log.warning("Cannot look at the keys file %s (%s); keeping its keys", path, exc)
            return
        if _identity(stat) == self._identity:
            return
        try:
            self._load(path, stat)
        except (OSError, ValueError) as exc:
            # Half-written by an editor, or a typo: keep serving the keys read last, and try
            # again at the next change.
            self._identity = _identity(stat)
            _log.warning("Cannot read the keys file %s (%s); keeping its previous keys", path, exc)

    def find(self, token: bytes) -> CallerKey | None:
        """The key whose digest matches ``token``, or ``None``.

        Looked up by digest, so the time taken does not depend on how much of a guess is
        right; the single API key is compared in constant time.
        """
        if self._api_key is not None and hmac.compare_digest(token, self._api_key):
            return self._default
        self._refresh()
        if not self._by_digest:
            return None
        return self._by_digest.get(hashlib.sha256(token).digest())
