"""``aiodynaspark keys``: add, list and revoke the gateway's caller keys in its keys file."""

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ._failures import CommandError, MissingExtraError

if TYPE_CHECKING:
    from ..server.ops._keys import CallerKey

__all__ = ["ENV_KEYS_FILE", "default_keys_file", "keys"]

# Also read by `aiodynaspark serve`, so both name the same file without repeating it.
ENV_KEYS_FILE = "AIODYNASPARK_KEYS_FILE"


def default_keys_file() -> Path:
    """``$AIODYNASPARK_KEYS_FILE``, else ``keys.toml`` in the user's aiodynaspark config folder."""
    given = os.environ.get(ENV_KEYS_FILE)
    if given:
        return Path(given)
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(config) / "aiodynaspark" / "keys.toml"


def _file_option(function: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--file",
        "path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        metavar="PATH",
        help=f"The keys file (default: ${ENV_KEYS_FILE} or ~/.config/aiodynaspark/keys.toml).",
    )(function)


def _read(path: Path, *, missing_ok: bool) -> "dict[str, CallerKey]":
    try:
        from ..server.ops import _keys
    except ModuleNotFoundError as exc:
        raise MissingExtraError("Managing the gateway's keys", "server") from exc
    try:
        return _keys.read_keys_file(path)
    except FileNotFoundError:
        if missing_ok:
            return {}
        raise CommandError(f"{path} does not exist; add a key first.") from None
    except (OSError, ValueError) as exc:
        raise CommandError(f"Cannot read the keys file: {exc}") from None


def _write(path: Path, entries: "dict[str, CallerKey]") -> None:
    from ..server.ops._keys import write_keys_file

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_keys_file(path, entries.values())
    except OSError as exc:
        raise CommandError(f"Cannot write the keys file {path}: {exc.strerror or exc}.") from None


@click.group(short_help="Manage the gateway's caller keys.")
def keys() -> None:
    """Add, list and revoke the caller keys of 'aiodynaspark serve --keys-file'.

    Only each key's SHA-256 digest is stored; a new key is printed once, when added.
    A running gateway picks up changes within a second.
    """


@keys.command("add")
@click.argument("name")
@click.option(
    "--rate-limit", metavar="N/PERIOD", help="Requests allowed per second, minute or hour."
)
@click.option(
    "--model",
    "models",
    multiple=True,
    metavar="MODEL",
    help="Allow only this model (repeatable; default: every model).",
)
@_file_option
def add(name: str, rate_limit: str | None, models: Sequence[str], path: Path | None) -> None:
    """Create the key NAME, store its digest, and print the key (shown only this once).

    \b
    Example:
      aiodynaspark keys add alice --rate-limit 60/minute --model gemini-2.0-flash
    """
    from ..server.ops._keys import CallerKey, check_models, check_name, hash_key, new_key, utc_now
    from ..server.ops._rates import parse_rate

    path = path or default_keys_file()
    try:
        check_name(name)
        rate = parse_rate(rate_limit) if rate_limit is not None else None
        allowed = check_models(models) if models else None
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    entries = _read(path, missing_ok=True)
    if name in entries:
        raise click.BadParameter(f"a key named {name!r} exists; revoke it first.")
    key = new_key()
    entries[name] = CallerKey(name, hash_key(key), rate, allowed, utc_now())
    _write(path, entries)
    click.echo(key)
    click.echo(f"Added {name!r} to {path}; the key above is not shown again.", err=True)


@keys.command("list")
@_file_option
def list_keys(path: Path | None) -> None:
    """Show each key's name, rate limit, models and creation time (never the key)."""
    entries = _read(path or default_keys_file(), missing_ok=True)
    for entry in entries.values():
        models = ",".join(sorted(entry.models)) if entry.models is not None else "any"
        rate = str(entry.rate_limit) if entry.rate_limit is not None else "unlimited"
        click.echo(f"{entry.name}\t{rate}\t{models}\t{entry.created or '-'}")


@keys.command("revoke")
@click.argument("name")
@_file_option
def revoke(name: str, path: Path | None) -> None:
    """Remove the key NAME: every gateway reading the file refuses it within a second."""
    path = path or default_keys_file()
    entries = _read(path, missing_ok=False)
    if entries.pop(name, None) is None:
        raise click.BadParameter(f"no key named {name!r} in {path}.")
    _write(path, entries)
    click.echo(f"Revoked {name!r}.", err=True)
