"""Product images uploaded by staff, kept under the instance folder and served by /media.

The type is decided from the file's first bytes, never from its name or the browser's
Content-Type; the stored name is random, so nothing a user typed reaches the filesystem.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import exists, select

from ...domain.errors import DomainError
from ...extensions import db
from ...models import Product

log = logging.getLogger(__name__)

SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)
PRODUCTS = "products"


class InvalidImage(DomainError):
    code = "invalid_image"


def sniff(head: bytes) -> str | None:
    for signature, extension in SIGNATURES:
        if head.startswith(signature):
            return extension
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def save_product_image(stream: BinaryIO) -> str:
    """Store an uploaded image; returns its media name (``products/<random>.<ext>``)."""
    limit = current_app.config["ADMIN_IMAGE_MAX_BYTES"]
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InvalidImage(f"The image is larger than {limit // (1024 * 1024)} MB.")
    extension = sniff(data[:16])
    if extension is None:
        raise InvalidImage("Upload a PNG, JPEG, GIF or WebP image.")
    folder = upload_root() / PRODUCTS
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(12)}.{extension}"
    (folder / name).write_bytes(data)
    return f"{PRODUCTS}/{name}"


def discard(name: str | None) -> None:
    """Delete a stored image that ended up unused (its product was not saved)."""
    if name:
        (upload_root() / name).unlink(missing_ok=True)


def discard_if_unused(name: str | None) -> bool:
    """Delete a stored image no product refers to any more; True if it was deleted.

    Called once the change that dropped it has committed (``tx.after_commit``): a change
    that rolls back still refers to the file, and the file stays. A file that cannot be
    deleted is logged, not raised: the change it followed is already saved.
    """
    if not name or db.session.scalar(select(exists().where(Product.image == name))):
        return False
    try:
        (upload_root() / name).unlink(missing_ok=True)
    except OSError:
        log.warning("could not delete an unused product image", extra={"media": name},
                    exc_info=True)
        return False
    return True
