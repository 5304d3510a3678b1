"""How the chat page's files travel: entity tags, revalidation and gzip."""

import asyncio
import gzip
import re
import threading
from importlib import resources

import pytest

from aiodynaspark.server.ui import _files
from aiodynaspark.server.ui._files import UiFile, accepts_gzip, load_ui_files
from support.gateway import GatewayFactory, fetch

RAW = {"auto_decompress": False}
_UI = resources.files("aiodynaspark.server").joinpath("ui")


async def test_the_page_is_read_once_at_its_first_request_off_the_event_loop(
    start_gateway: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    readers: list[str] = []

    def read() -> dict[str, UiFile]:
        readers.append(threading.current_thread().name)
        return load_ui_files()

    monkeypatch.setattr(_files, "load_ui_files", read)
    async with start_gateway() as root:
        await fetch("GET", f"{root}/health")
        assert readers == []
        answers = await asyncio.gather(*(fetch("GET", f"{root}/") for _ in range(3)))
    assert [answer.status for answer in answers] == [200, 200, 200]
    assert len(readers) == 1
    assert readers[0] != threading.main_thread().name


async def test_a_file_carries_an_etag_and_asks_to_be_revalidated(gateway: str) -> None:
    answer = await fetch(
        "GET", f"{gateway}/ui/app.js", headers={"Accept-Encoding": "identity"}, **RAW
    )
    assert answer.status == 200
    assert re.fullmatch(r'"[0-9a-f]{20}"', answer.headers["etag"])
    assert answer.headers["cache-control"] == "no-cache"
    assert answer.headers["vary"] == "Accept-Encoding"


async def test_a_known_etag_is_answered_304_without_a_body(gateway: str) -> None:
    first = await fetch("GET", f"{gateway}/ui/style.css", **RAW)
    again = await fetch(
        "GET", f"{gateway}/ui/style.css", headers={"If-None-Match": first.headers["etag"]}, **RAW
    )
    assert again.status == 304
    assert again.body == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert "content-security-policy" in again.headers


async def test_a_changed_etag_gets_the_whole_file(gateway: str) -> None:
    answer = await fetch(
        "GET", f"{gateway}/", headers={"If-None-Match": '"stale"', "Accept-Encoding": "identity"}
    )
    assert answer.status == 200
    assert b"<!doctype html>" in answer.body


async def test_a_browser_that_accepts_gzip_gets_the_same_bytes_compressed(gateway: str) -> None:
    plain = await fetch(
        "GET", f"{gateway}/ui/view.js", headers={"Accept-Encoding": "identity"}, **RAW
    )
    packed = await fetch(
        "GET", f"{gateway}/ui/view.js", headers={"Accept-Encoding": "gzip, deflate, br"}, **RAW
    )
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert len(packed.body) < len(plain.body) / 2
    assert gzip.decompress(packed.body) == plain.body
    # Another representation, another tag: a cache never mixes the two.
    assert packed.headers["etag"] != plain.headers["etag"]


async def test_a_client_without_gzip_gets_the_files_own_bytes(gateway: str) -> None:
    answer = await fetch(
        "GET", f"{gateway}/ui/katex.min.js", headers={"Accept-Encoding": "identity"}, **RAW
    )
    assert answer.status == 200
    assert answer.body == _UI.joinpath("katex.min.js").read_bytes()


def test_the_pages_text_files_are_held_only_compressed() -> None:
    files = load_ui_files()
    text = [name for name, found in files.items() if found.content_type.startswith("text/")]
    on_disk = sum(len(_UI.joinpath(name).read_bytes()) for name in text)
    held = sum(len(files[name].stored) for name in text)
    # Compressed alone, the page's text is about a third of its size; with a plain copy
    # beside it, it would be more than the files themselves.
    assert held < on_disk / 2


async def test_the_gzip_copy_is_revalidated_by_its_own_tag(gateway: str) -> None:
    packed = await fetch("GET", f"{gateway}/ui/view.js", headers={"Accept-Encoding": "gzip"}, **RAW)
    again = await fetch(
        "GET",
        f"{gateway}/ui/view.js",
        headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["etag"]},
        **RAW,
    )
    assert again.status == 304


@pytest.mark.parametrize(
    ("header", "allowed"),
    [
        ("gzip", True),
        ("gzip, deflate, br, zstd", True),
        ("x-gzip", True),
        ("*", True),
        ("br;q=1.0, gzip;q=0.5", True),
        ("", False),
        ("identity", False),
        ("gzip;q=0", False),
        ("*, gzip;q=0", False),
        ("gzip;q=bad", False),
        ("br", False),
    ],
)
def test_accept_encoding_is_read_with_its_qualities(header: str, allowed: bool) -> None:
    assert accepts_gzip(header) is allowed


def test_every_module_of_the_page_is_preloaded_by_the_index() -> None:
    # Preloading every module makes the browser fetch them all at once, not one import
    # level after another; a module missing here would be fetched late. The exceptions
    # load only when they are needed (highlighting and math with the vendored highlight.js
    # and KaTeX, the key dialog, a picture at full size, export and import): preloading
    # them would put them back in every first load.
    ui = resources.files("aiodynaspark.server").joinpath("ui")
    modules = {entry.name for entry in ui.iterdir() if entry.name.endswith(".js")}
    lazy = {name for name in modules if name.startswith(("hljs-", "katex"))} | {
        "enhance.js",
        "keydialog.js",
        "picture-dialog.js",
        "transfer.js",
    }
    index = ui.joinpath("index.html").read_text()
    preloaded = set(re.findall(r'<link rel="modulepreload" href="/ui/([\w.-]+\.js)">', index))
    assert lazy
    assert preloaded == modules - {"app.js"} - lazy
