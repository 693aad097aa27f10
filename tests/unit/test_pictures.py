"""Pictures are judged by decoding them, kept re-encoded without metadata, at most 1280 px and 400 px."""

import io

import pytest
from PIL import Image

from marketplace.domain.pictures import PictureRefused, process, valid_name

MB = 1_000_000


def picture(fmt: str, size=(2000, 1000), mode="RGB", exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    image = Image.new(mode, size, (200, 40, 40) if mode == "RGB" else (200, 40, 40, 128))
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def _exif_with_orientation_and_camera() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to show upright
    exif[0x010F] = "SecretCam"  # the camera's maker
    return exif.tobytes()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_jpeg_png_and_webp_are_resized_and_thumbnailed(fmt):
    large, thumb = process(picture(fmt), 5 * MB)
    assert (large.width, large.height) == (1280, 640) and (thumb.width, thumb.height) == (400, 200)
    for kept in (large, thumb):
        with Image.open(io.BytesIO(kept.data)) as opened:
            assert opened.format == "WEBP" and opened.size == (kept.width, kept.height)
        assert valid_name(kept.name)
    assert thumb.name.endswith("-t.webp") and large.name != thumb.name


def test_exif_is_dropped_after_turning_the_picture_upright():
    large, _ = process(picture("JPEG", (800, 400), exif=_exif_with_orientation_and_camera()), 5 * MB)
    assert (large.width, large.height) == (400, 800)  # turned upright
    assert b"SecretCam" not in large.data and b"Exif" not in large.data
    with Image.open(io.BytesIO(large.data)) as opened:
        assert not opened.getexif()


def test_a_small_picture_is_not_enlarged_and_transparency_is_kept():
    large, thumb = process(picture("PNG", (300, 200), mode="RGBA"), 5 * MB)
    assert (large.width, large.height) == (300, 200) and (thumb.width, thumb.height) == (300, 200)
    with Image.open(io.BytesIO(large.data)) as opened:
        assert opened.mode == "RGBA"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a picture at all",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,  # a PNG signature with nothing behind it
        picture("GIF", (10, 10)),
        picture("BMP", (10, 10)),
        picture("JPEG")[:200],  # cut off
    ],
)
def test_what_is_not_a_jpeg_png_or_webp_picture_is_refused(data):
    with pytest.raises(PictureRefused):
        process(data, 5 * MB)


def test_too_large_a_file_is_refused_before_it_is_decoded():
    with pytest.raises(PictureRefused, match="too large"):
        process(b"\xff\xd8" + b"\x00" * (MB + 1), MB)


def test_the_same_content_gets_the_same_name():
    assert process(picture("PNG"), 5 * MB)[0].name == process(picture("PNG"), 5 * MB)[0].name
    assert not valid_name("../../etc/passwd") and not valid_name("a" * 32 + ".png")
    assert not valid_name("A" * 32 + ".webp") and valid_name("0" * 32 + "-t.webp")
