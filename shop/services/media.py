"""Product images uploaded by staff, kept under the instance folder and served by /media.

The type is decided from the file's first bytes, never from its name or the browser's
Content-Type; the stored name is random, so nothing a user typed reaches the filesystem.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from ..domain.errors import DomainError

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
