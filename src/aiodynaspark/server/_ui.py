"""The chat page: the files of ``aiodynaspark/server/ui/``, served at ``/`` and ``/ui/{name}``.

The files are read once, when the app is built, into a table keyed by file name; a request
can only name an entry of that table, so no path reaches the filesystem (no traversal).
"""

from importlib import resources

from fastapi import FastAPI
from starlette.responses import Response

from ._errors import GatewayError

__all__ = ["SECURITY_HEADERS", "load_ui_files", "mount_ui"]

# The page loads its own script and style only, talks to its own origin only, and cannot be
# framed; generated images arrive as data: or blob: URLs, speech as a blob: URL.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "media-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
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


def load_ui_files() -> dict[str, tuple[bytes, str]]:
    """Read the page's files: name to (bytes, content type).

    Only regular files directly in the directory, with a known extension, are served.

    Returns:
        The table; empty when the directory is missing or empty.
    """
    try:
        directory = resources.files("aiodynaspark.server").joinpath("ui")
        entries = list(directory.iterdir()) if directory.is_dir() else []
    except (FileNotFoundError, NotADirectoryError, ModuleNotFoundError):
        return {}
    files: dict[str, tuple[bytes, str]] = {}
    for entry in entries:
        name = entry.name
        suffix = name[name.rfind(".") :] if "." in name else ""
        kind = _CONTENT_TYPES.get(suffix.lower())
        if kind is None or name.startswith(".") or not entry.is_file():
            continue
        files[name] = (entry.read_bytes(), kind)
    return files


def mount_ui(app: FastAPI, files: dict[str, tuple[bytes, str]]) -> None:
    """Add ``GET /`` (``index.html``) and ``GET /ui/{name}`` to ``app``.

    Args:
        app: The gateway.
        files: The table :func:`load_ui_files` read.
    """
    not_found = GatewayError(404, "No such file.", code="not_found")

    def serve(name: str) -> Response:
        found = files.get(name)
        if found is None:
            return not_found.response()
        content, kind = found
        return Response(content, media_type=kind, headers=SECURITY_HEADERS)

    @app.get("/", include_in_schema=False)
    async def index() -> Response:
        return serve("index.html")

    @app.get("/ui/{name}", include_in_schema=False)
    async def ui_file(name: str) -> Response:
        return serve(name)
