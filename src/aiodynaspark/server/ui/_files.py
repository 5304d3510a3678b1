"""The chat page: the files of ``aiodynaspark/server/ui/``, served at ``/`` and ``/ui/{name}``.

The files are read once, at the first request for one of them, into a table keyed by file
name; a request can only name an entry of that table, so no path reaches the filesystem (no
traversal).

Each file is served with a strong ``ETag`` and ``Cache-Control: no-cache``: the browser keeps
its copy and asks once per file on a reload (``If-None-Match``), and an unchanged file costs a
``304`` with no body. Text files are gzip-compressed once, at load time, and held only
compressed: browsers take that copy (``Vary: Accept-Encoding``); a client that does not
accept gzip gets the bytes decompressed for it, in a worker thread.
"""

import asyncio
import gzip
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from starlette.responses import Response

from .._errors import GatewayError

__all__ = ["SECURITY_HEADERS", "UiFile", "UiTable", "accepts_gzip", "load_ui_files", "mount_ui"]

# The page loads its own script, style and fonts (the math fonts) only, talks to its own
# origin only, and cannot be framed; generated images arrive as data: or blob: URLs, speech
# as a blob: URL.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; "
        "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    # Keep a copy but ask before each use: with the ETag, a reload is one round trip per file.
    "cache-control": "no-cache",
}

_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}
# Pictures and fonts are compressed already; gzip would only cost time.
_COMPRESSIBLE = ("text/", "application/json", "image/svg+xml")
# Files this small fit in one packet either way.
MIN_COMPRESS_BYTES = 512
# A file over this is served as is, so a stray large file cannot make the gateway's start-up
# slow or a plain answer's decompression long.
MAX_COMPRESS_BYTES = 2 * 1024 * 1024
# Level 9 costs a few milliseconds once per start for the page's ~100 KB and saves bytes on
# every load.
_GZIP_LEVEL = 9


@dataclass(frozen=True)
class UiFile:
    """One file of the page, ready to serve.

    A file worth compressing is held compressed only: every browser takes it so, and keeping
    the plain copy beside it cost each gateway process 0.6 MiB (the page's scripts, KaTeX's
    mostly) for the rare client that does not accept gzip.

    Attributes:
        stored: The bytes held: gzip-compressed when ``compressed``, else the file's own.
        content_type: Its ``Content-Type``.
        etag: The strong entity tag of the file's own bytes (quoted).
        compressed: Whether ``stored`` is the gzip-compressed file.
        gzip_etag: The entity tag of the compressed bytes (a different representation, a
            different tag); empty when not compressed.
    """

    stored: bytes
    content_type: str
    etag: str
    compressed: bool = False
    gzip_etag: str = ""

    @classmethod
    def build(cls, content: bytes, content_type: str) -> "UiFile":
        """Hash and, for text worth it, compress ``content``."""
        digest = hashlib.sha256(content).hexdigest()[:20]
        if content_type.startswith(_COMPRESSIBLE) and (
            MIN_COMPRESS_BYTES <= len(content) <= MAX_COMPRESS_BYTES
        ):
            # mtime=0: the same bytes every start, so the tag stays valid across restarts.
            packed = gzip.compress(content, compresslevel=_GZIP_LEVEL, mtime=0)
            if len(packed) < len(content):
                return cls(packed, content_type, f'"{digest}"', True, f'"{digest}-gz"')
        return cls(content, content_type, f'"{digest}"')

    async def content(self) -> bytes:
        """The file's own bytes; decompressed in a worker thread (2 ms for KaTeX's script)."""
        if not self.compressed:
            return self.stored
        return await anyio.to_thread.run_sync(gzip.decompress, self.stored)


def load_ui_files(directory: Traversable | None = None) -> dict[str, UiFile]:
    """Read the page's files: name to :class:`UiFile`.

    Only regular files directly in the directory, with a known extension, are served.

    Args:
        directory: Where the files are; by default the package's ``ui/`` directory. The
            chat-page benchmark passes another one to measure an older copy of the page.

    Returns:
        The table; empty when the directory is missing or empty.
    """
    try:
        if directory is None:
            directory = resources.files("aiodynaspark.server.ui")
        entries = list(directory.iterdir()) if directory.is_dir() else []
    except (FileNotFoundError, NotADirectoryError, ModuleNotFoundError):
        return {}
    files: dict[str, UiFile] = {}
    for entry in entries:
        name = entry.name
        suffix = name[name.rfind(".") :] if "." in name else ""
        kind = _CONTENT_TYPES.get(suffix.lower())
        if kind is None or name.startswith(".") or not entry.is_file():
            continue
        files[name] = UiFile.build(entry.read_bytes(), kind)
    return files


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an ``Accept-Encoding`` value allows gzip (RFC 9110, section 12.5.3).

    ``gzip`` or ``x-gzip`` or ``*`` with a quality above zero allow it; ``gzip;q=0``
    refuses it even when ``*`` is listed.

    Args:
        accept_encoding: The header's value; empty when absent.

    Returns:
        True when a gzip body may be sent.
    """
    wildcard = False
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        coding = coding.strip()
        if coding in ("gzip", "x-gzip"):
            return quality > 0
        if coding == "*":
            wildcard = quality > 0
    return wildcard


def _matches(if_none_match: str, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as GET allows)."""
    if if_none_match.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))


async def file_response(found: UiFile, request: Request) -> Response:
    """The answer for one file: a 304, the gzip body or the plain body."""
    gzipped = found.compressed and accepts_gzip(request.headers.get("accept-encoding", ""))
    etag = found.gzip_etag if gzipped else found.etag
    headers = {**SECURITY_HEADERS, "etag": etag, "vary": "Accept-Encoding"}
    if _matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    if not gzipped:
        return Response(await found.content(), media_type=found.content_type, headers=headers)
    headers["content-encoding"] = "gzip"
    return Response(found.stored, media_type=found.content_type, headers=headers)


class UiTable:
    """The page's files, read at the first request for one of them, in a worker thread.

    A gateway used only through its API never reads them: every process holds 0.7 MiB less
    after start (the table, and what reading and compressing the files leave behind). The
    first page request waits for the read (about 45 ms, the level-9 compression mostly, which
    like the reading and the hashing runs without the GIL); the event loop goes on serving
    meanwhile (its longest pause is that of starting the loop's first worker thread, if no
    upstream name lookup started one before), and requests that come together share the one
    read.

    Args:
        load: Reads the table; by default :func:`load_ui_files` on the package's directory.
    """

    def __init__(self, load: Callable[[], dict[str, UiFile]] | None = None) -> None:
        self._load = load or load_ui_files
        self._files: dict[str, UiFile] | None = None
        self._reading = asyncio.Lock()

    async def get(self, name: str) -> UiFile | None:
        """The file called ``name``, or ``None`` when the page has none."""
        if self._files is None:
            async with self._reading:
                if self._files is None:
                    self._files = await asyncio.to_thread(self._load)
        return self._files.get(name)


def mount_ui(app: FastAPI | APIRouter, files: dict[str, UiFile] | UiTable | None = None) -> None:
    """Add ``GET /`` (``index.html``) and ``GET /ui/{name}`` to ``app``.

    Args:
        app: The gateway, or the router of its routes.
        files: A table :func:`load_ui_files` read; by default the package's files, read at
            the first request for one (:class:`UiTable`).
    """
    not_found = GatewayError(404, "No such file.", code="not_found")
    table = files if isinstance(files, UiTable) else UiTable(None if files is None else files.copy)

    async def serve(name: str, request: Request) -> Response:
        found = await table.get(name)
        if found is None:
            return not_found.response(request.url.path)
        return await file_response(found, request)

    @app.get("/", include_in_schema=False)
    async def index(request: Request) -> Response:
        return await serve("index.html", request)

    @app.get("/ui/{name}", include_in_schema=False)
    async def ui_file(name: str, request: Request) -> Response:
        return await serve(name, request)
