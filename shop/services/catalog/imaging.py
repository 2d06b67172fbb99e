"""Product pictures with Pillow: an upload checked and turned into the sizes pages show.

No Flask and no database here (the tests drive it with bytes). The served copies are WebP,
turned upright from the camera's EXIF orientation and written without any metadata (EXIF
can carry where a photo was taken). An upload is refused before it is decoded if its
header announces more pixels than ``max_pixels``: a few kilobytes of PNG can claim
gigabytes of memory (a decompression bomb).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from ...domain.errors import DomainError

# (name, width in px): the catalog card's thumbnail for small screens, the card, the
# product page. A picture narrower than a size is never enlarged to it.
VARIANTS = (("thumb", 160), ("card", 480), ("full", 1200))
WEBP_QUALITY = 80
FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)


class InvalidImage(DomainError):
    code = "invalid_image"


@dataclass(frozen=True)
class Processed:
    """An accepted upload: its extension, its upright size and its WebP copies by name."""

    extension: str
    width: int
    height: int
    variants: dict[str, bytes]


def sniff(head: bytes) -> str | None:
    """The image type from a file's first bytes (never from its name or Content-Type)."""
    for signature, extension in SIGNATURES:
        if head.startswith(signature):
            return extension
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def variant_size(width: int, height: int, target: int) -> tuple[int, int]:
    """The size of the copy ``target`` px wide (never wider than the original)."""
    if width <= target:
        return width, height
    return target, max(1, round(height * target / width))


def process(data: bytes, *, max_pixels: int) -> Processed:
    """Check ``data`` is a whole PNG, JPEG, GIF or WebP of at most ``max_pixels`` and make
    its copies; raises ``InvalidImage`` with a message for the form."""
    extension = sniff(data[:16])
    if extension is None:
        raise InvalidImage("Upload a PNG, JPEG, GIF or WebP image.")
    try:
        with warnings.catch_warnings():
            # Pillow's own check warns from 89 megapixels (and raises from twice that): ours
            # below is stricter and says the size.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if FORMATS.get(image.format or "") != extension:
                    raise InvalidImage("Upload a PNG, JPEG, GIF or WebP image.")
                if image.width * image.height > max_pixels:
                    raise InvalidImage(_too_many_pixels(image.width, image.height, max_pixels))
                if extension == "jpg":
                    # Decode at the smallest scale still at least as large as the largest copy.
                    image.draft("RGB", (VARIANTS[-1][1], VARIANTS[-1][1]))
                upright = ImageOps.exif_transpose(image)
                upright.load()
                return _copies(extension, upright)
    except Image.DecompressionBombError as exc:
        raise InvalidImage("That image is too large to open safely.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        # Pillow reports a truncated or corrupt file as any of these.
        raise InvalidImage("That image could not be read: it may be damaged.") from exc


def _too_many_pixels(width: int, height: int, max_pixels: int) -> str:
    return (f"That image is {width} × {height} pixels: upload one of at most "
            f"{max_pixels // 1_000_000} megapixels.")


def _copies(extension: str, image: Image.Image) -> Processed:
    mode = "RGBA" if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info \
        else "RGB"
    # A new image from the pixels alone: no EXIF, ICC, XMP or comment is carried over.
    clean = Image.new(mode, image.size)
    clean.paste(image.convert(mode))
    variants = {}
    for name, target in VARIANTS:
        size = variant_size(clean.width, clean.height, target)
        copy = clean if size == clean.size else clean.resize(size, Image.Resampling.LANCZOS,
                                                             reducing_gap=3.0)
        out = io.BytesIO()
        copy.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
        variants[name] = out.getvalue()
    return Processed(extension, clean.width, clean.height, variants)
