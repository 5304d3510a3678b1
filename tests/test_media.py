"""Image inputs to bytes, the type read from the bytes, never from the file name."""

import contextlib
import io
import pathlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiodynaspark import MediaError
from aiodynaspark._config import MAX_IMAGE_BYTES
from aiodynaspark._media import detect_image_type, load_image, load_media
from support.media import GIF, JPEG, PNG, WEBP, data_uri


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (GIF, "image/gif"),
        (GIF.replace(b"89a", b"87a"), "image/gif"),
        (WEBP, "image/webp"),
    ],
)
def test_each_format_is_recognised_by_its_magic_numbers(data: bytes, mime: str) -> None:
    image = load_image(data)
    assert image.content_type == mime
    assert image.data == data


def test_the_file_name_does_not_decide_the_type(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(PNG)
    image = load_image(path)
    assert image.content_type == "image/png"
    assert image.filename == "photo.jpg"


def test_str_path_pathlike_and_file_object_read_the_same_bytes(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(PNG)
    with path.open("rb") as file:
        from_file = load_image(file)
    assert load_image(str(path)).data == load_image(path).data == from_file.data == PNG
    assert from_file.filename == "a.png"


def test_bytearray_and_memoryview_are_accepted() -> None:
    assert load_image(bytearray(PNG)).data == PNG
    assert load_image(memoryview(PNG)).data == PNG


def test_data_uri_is_decoded_and_its_declared_type_ignored() -> None:
    image = load_image(data_uri(GIF, "image/png"))
    assert image.content_type == "image/gif"
    assert image.filename == "image.gif"


def test_pil_image_is_encoded() -> None:
    pil = pytest.importorskip("PIL.Image")
    image = load_image(pil.new("RGB", (3, 3), "blue"))
    assert image.content_type == "image/png"


def test_an_explicit_filename_wins() -> None:
    assert load_image(PNG, "cat.png").filename == "cat.png"


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        (b"", "empty"),
        (b"%PDF-1.7 not an image", "not a JPEG, PNG, GIF or WEBP"),
        ("data:image/png,notbase64", "must be base64"),
        ("data:image/png;base64,@@@", "malformed"),
        ("https://example.com/cat.png", "Remote image URLs are not fetched"),
        ("/no/such/file.png", "Could not read the image file"),
        ("", "empty"),
        (12345, "Unsupported image input"),
        (io.StringIO("text"), "text mode"),
    ],
)
def test_bad_inputs_are_refused_with_a_reason(source: object, fragment: str) -> None:
    with pytest.raises(MediaError, match=fragment):
        load_image(source)


def test_oversize_bytes_are_refused() -> None:
    big = PNG + b"\x00" * (MAX_IMAGE_BYTES + 1 - len(PNG))
    with pytest.raises(MediaError, match="limit"):
        load_image(big)


def test_oversize_file_is_refused_before_reading(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "big.png"
    with path.open("wb") as file:
        file.write(PNG)
        file.truncate(MAX_IMAGE_BYTES + 10)
    with pytest.raises(MediaError, match="limit"):
        load_image(path)


def test_media_pairs_and_bare_images_mix() -> None:
    images = load_media([(PNG, "x.png"), JPEG], [data_uri(GIF)])
    assert [i.content_type for i in images] == ["image/png", "image/jpeg", "image/gif"]
    assert images[0].filename == "x.png"


@pytest.mark.parametrize("media", ["notalist", [(PNG, "a", "b")]])
def test_malformed_media_argument_is_refused(media: object) -> None:
    with pytest.raises(MediaError):
        load_media(media)


@given(st.binary(max_size=64))
def test_detection_matches_the_magic_numbers(data: bytes) -> None:
    kind = detect_image_type(data)
    if kind is None:
        with pytest.raises(MediaError):
            load_image(data)
    else:
        assert load_image(data).content_type == kind


@given(
    st.one_of(
        st.binary(max_size=40),
        st.text(max_size=40),
        st.integers(),
        st.none(),
        st.lists(st.binary(max_size=8), max_size=2),
    )
)
def test_no_input_raises_anything_but_media_error(source: object) -> None:
    with contextlib.suppress(MediaError):
        load_image(source)


@given(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=@-_", max_size=40
    )
)
def test_data_uris_never_raise_anything_but_media_error(payload: str) -> None:
    with contextlib.suppress(MediaError):
        load_image("data:image/png;base64," + payload)


@pytest.mark.parametrize("url", ["/etc/passwd", "file:///etc/passwd", "https://example.com/a.png"])
def test_image_url_parts_are_never_read_as_paths_or_fetched(url: str) -> None:
    with pytest.raises(MediaError, match="data:image"):
        load_media(None, [url])
