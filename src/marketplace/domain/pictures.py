"""Pictures of a listing: what is accepted and what is kept. Pure (bytes in, bytes out).

The type is told by decoding the picture (Pillow), never by its file name or the type the browser
claims: JPEG, PNG and WebP only. What is kept is re-encoded, so nothing of the upload survives but
its pixels: turned upright by its EXIF orientation, then EXIF (the camera, often the place it was
taken) and every other metadata dropped; at most 1280 px a side, and a 400 px thumbnail."""

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageOps

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
MAX_PICTURES = 6  # pictures per listing
LARGE_SIDE = 1280
THUMB_SIDE = 400
MAX_PIXELS = 50_000_000  # a larger picture (or a "decompression bomb") is refused before it is decoded
QUALITY = 82


class PictureRefused(ValueError):
    """Not a picture the market keeps; the message is a sentence for the person who sent it."""


@dataclass(frozen=True)
class Encoded:
    name: str  # content hash + ".webp": the file's name, never reused for other content
    data: bytes
    width: int
    height: int


def _encode(image: Image.Image, side: int, suffix: str) -> Encoded:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    copy.info.clear()
    out = io.BytesIO()
    copy.save(out, "WEBP", quality=QUALITY, method=4, exif=b"", icc_profile=None)
    data = out.getvalue()
    name = hashlib.sha256(data).hexdigest()[:32] + suffix + ".webp"
    return Encoded(name=name, data=data, width=copy.width, height=copy.height)


def process(data: bytes, max_bytes: int) -> tuple[Encoded, Encoded]:
    """(large, thumbnail) of an uploaded picture, or PictureRefused saying why not."""
    if not data:
        raise PictureRefused("Please choose a picture to upload.")
    if len(data) > max_bytes:
        raise PictureRefused(f"The picture is too large: at most {max_bytes // 1_000_000} MB.")
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.format not in ACCEPTED_FORMATS:
                raise PictureRefused("Only JPEG, PNG or WebP pictures are accepted.")
            if opened.width * opened.height > MAX_PIXELS:
                raise PictureRefused("The picture has too many pixels: at most 50 million.")
            opened.seek(0)  # the first frame of an animated picture
            if opened.format == "JPEG":  # decode at 1/2, 1/4 or 1/8 scale when still ≥ 1280 px: much faster
                opened.draft("RGB", (LARGE_SIDE, LARGE_SIDE))
            opened.load()
            upright = ImageOps.exif_transpose(opened)
            image = upright.convert("RGBA" if "A" in upright.getbands() or "transparency" in upright.info else "RGB")
    except PictureRefused:
        raise
    except Exception:  # noqa: BLE001 — whatever Pillow makes of a broken or foreign file, it is no picture
        raise PictureRefused("Only JPEG, PNG or WebP pictures are accepted.") from None
    return _encode(image, LARGE_SIDE, ""), _encode(image, THUMB_SIDE, "-t")


def valid_name(name: str) -> bool:
    """A stored picture's file name (what the picture address may ask for)."""
    stem = name.removesuffix(".webp").removesuffix("-t")
    return (
        name.endswith(".webp")
        and len(stem) == 32
        and all(c in "0123456789abcdef" for c in stem)
        and name in (stem + ".webp", stem + "-t.webp")
    )
