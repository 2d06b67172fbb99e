"""Product images on disk, under ``UPLOAD_DIR``, and how pages name them.

An upload is kept as sent in ``originals/`` (never served: it may carry the camera's EXIF,
a location included) and its resized WebP copies go to ``products/<stem>-<variant>.webp``,
which ``/media`` serves for a year as immutable: ``stem`` is random and never reused, so a
changed picture is a new name. Images moved from the old single ``products.image`` column
keep their file under ``products/`` and are shown from it until ``flask shop
resize-images`` has made their copies.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import exists, select

from ...extensions import db
from ...models import ProductImage
from .imaging import VARIANTS, InvalidImage, process, variant_size

log = logging.getLogger(__name__)

PRODUCTS = "products"  # the only folder /media serves
ORIGINALS = "originals"

__all__ = ["ImageRef", "InvalidImage", "StoredImage", "discard", "read_upload",
           "remove_files", "store_image", "upload_root"]


@dataclass(frozen=True, slots=True)
class MediaFile:
    name: str  # under UPLOAD_DIR, for url_for("media.media", name=...)
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class ImageRef:
    """What a page needs to show one image: its copies and its alt text."""

    stem: str
    original: str
    width: int | None
    height: int | None
    alt: str

    @classmethod
    def of(cls, image: ProductImage) -> ImageRef:
        return cls(image.stem, image.original, image.width, image.height, image.alt)

    def files(self) -> list[MediaFile]:
        """Its copies from the smallest, one per distinct width (a small picture has fewer);
        the original alone while it has none."""
        if self.width is None or self.height is None:
            return [MediaFile(self.original, 0, 0)]
        found: list[MediaFile] = []
        for name, target in VARIANTS:
            width, height = variant_size(self.width, self.height, target)
            if not found or found[-1].width != width:
                found.append(MediaFile(f"{PRODUCTS}/{self.stem}-{name}.webp", width, height))
        return found

    def shown_files(self) -> list[MediaFile]:
        """The copies a shopper's page offers the browser (its srcset): all but the
        thumbnail, which is for staff pages (a card is never drawn 160 px wide)."""
        files = self.files()
        return files[1:] if len(files) > 1 else files

    def variant(self, name: str) -> MediaFile:
        """The copy called ``name`` (``thumb``, ``card``, ``full``), or the original."""
        if self.width is None or self.height is None:
            return MediaFile(self.original, 0, 0)
        width, height = variant_size(self.width, self.height, dict(VARIANTS)[name])
        return MediaFile(f"{PRODUCTS}/{self.stem}-{name}.webp", width, height)


@dataclass(frozen=True)
class StoredImage:
    stem: str
    original: str
    width: int
    height: int


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def read_upload(stream: BinaryIO) -> bytes:
    """An upload's bytes, refused past ``ADMIN_IMAGE_MAX_BYTES``."""
    limit = current_app.config["ADMIN_IMAGE_MAX_BYTES"]
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InvalidImage(f"The image is larger than {limit // (1024 * 1024)} MB.")
    return data


def store_image(data: bytes) -> StoredImage:
    """Check an image, write its original and its copies; raises ``InvalidImage``. The
    caller records it in a ``ProductImage`` row or calls ``discard``."""
    processed = process(data, max_pixels=current_app.config["MEDIA_MAX_PIXELS"])
    stem = secrets.token_hex(16)
    root = upload_root()
    for folder in (PRODUCTS, ORIGINALS):
        (root / folder).mkdir(parents=True, exist_ok=True)
    original = f"{ORIGINALS}/{stem}.{processed.extension}"
    (root / original).write_bytes(data)
    for name, body in processed.variants.items():
        (root / PRODUCTS / f"{stem}-{name}.webp").write_bytes(body)
    return StoredImage(stem, original, processed.width, processed.height)


def resize_stored(original: str, stem: str) -> tuple[int, int]:
    """Make the copies of an image whose original is already stored (an image moved from
    the old single column); returns its size. Raises ``InvalidImage``."""
    processed = process((upload_root() / original).read_bytes(),
                        max_pixels=current_app.config["MEDIA_MAX_PIXELS"])
    (upload_root() / PRODUCTS).mkdir(parents=True, exist_ok=True)
    for name, body in processed.variants.items():
        (upload_root() / PRODUCTS / f"{stem}-{name}.webp").write_bytes(body)
    return processed.width, processed.height


def discard(stored: StoredImage) -> None:
    """Delete the files of an image that was never recorded (its change failed)."""
    _unlink([stored.original, *(f"{PRODUCTS}/{stored.stem}-{name}.webp"
                                for name, _ in VARIANTS)])


def remove_files(stem: str, original: str) -> None:
    """Delete a deleted image's copies, and its original unless another image row still
    uses that file (two products could share one before images had rows of their own).

    Called once the deletion has committed (``tx.after_commit``): a change that rolls back
    still shows the files. A file that cannot be deleted is logged, not raised: the change
    it followed is already saved.
    """
    names = [f"{PRODUCTS}/{stem}-{name}.webp" for name, _ in VARIANTS]
    if not db.session.scalar(select(exists().where(ProductImage.original == original))):
        names.append(original)
    _unlink(names)


def _unlink(names: list[str]) -> None:
    root = upload_root()
    for name in names:
        try:
            (root / name).unlink(missing_ok=True)
        except OSError:
            log.warning("could not delete an unused product image", extra={"media": name},
                        exc_info=True)
