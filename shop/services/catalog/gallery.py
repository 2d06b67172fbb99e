"""A product's images as staff arrange them: added with the product form, then reordered,
described (alt text) and deleted one by one. Each change locks the product first, so two
staff members editing one gallery at once queue instead of colliding on a position.

Positions stay dense from 0 (the card shows position 0). Renumbering goes through negative
positions first because the unique key on (product, position) is checked row by row on
both databases: moving 2 → 1 while 1 is still taken would fail mid-statement.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ...domain.errors import DomainError, NotFound
from ...extensions import db
from ...models import Product, ProductImage
from ..platform.audit import record_change
from ..platform.tx import after_commit, lock_rows, write_transaction
from .media import InvalidImage, StoredImage, remove_files, resize_stored

log = logging.getLogger(__name__)

MOVES = {"up": -1, "down": 1}


class TooManyImages(DomainError):
    code = "too_many_images"


class ImageNotFound(NotFound):
    code = "image_not_found"


def append_images(session: Session, product: Product, images: Sequence[StoredImage]) -> None:
    """Add ``images`` after the product's others, inside the caller's transaction."""
    if not images:
        return
    session.execute(lock_rows(select(Product.id).where(Product.id == product.id)))
    count = len(_ordered(session, product.id))
    limit = current_app.config["MAX_IMAGES_PER_PRODUCT"]
    if count + len(images) > limit:
        raise TooManyImages(f"A product can have at most {limit} images; this one has "
                            f"{count}.")
    session.add_all(ProductImage(product_id=product.id, position=count + n, stem=image.stem,
                                 original=image.original, width=image.width,
                                 height=image.height, alt=product.name[:300])
                    for n, image in enumerate(images))


def move_image(*, store_id: int, product_id: int, image_id: int, direction: str,
               actor: str) -> None:
    """Swap an image with its neighbour (``up`` or ``down``); at either end nothing moves."""
    with write_transaction() as session:
        images = _locked_gallery(session, store_id, product_id)
        index = _index_of(images, image_id)
        other = index + MOVES[direction]
        if not 0 <= other < len(images):
            return
        images[index], images[other] = images[other], images[index]
        _renumber(session, images)
        _audit(session, store_id, product_id, "product_image_moved", actor, direction)


def delete_image(*, store_id: int, product_id: int, image_id: int, actor: str) -> None:
    """Delete an image; its files go once the deletion has committed."""
    with write_transaction() as session:
        images = _locked_gallery(session, store_id, product_id)
        image = images.pop(_index_of(images, image_id))
        session.delete(image)
        session.flush()
        _renumber(session, images)
        _audit(session, store_id, product_id, "product_image_deleted", actor, image.stem)
        stem, original = image.stem, image.original
        after_commit(session, lambda: remove_files(stem, original))


def describe_image(*, store_id: int, product_id: int, image_id: int, alt: str,
                   actor: str) -> None:
    """Set an image's alt text (what a screen reader says instead of the picture); empty
    gives it the product's name again."""
    with write_transaction() as session:
        images = _locked_gallery(session, store_id, product_id)
        image = images[_index_of(images, image_id)]
        alt = alt.strip() or image.product.name
        image.alt = alt[:300]
        _audit(session, store_id, product_id, "product_image_described", actor, alt[:100])


def resize_moved_images() -> tuple[int, list[str]]:
    """Make the copies of images moved from the old single column (no size yet); returns
    how many were done and the originals that could not be (missing or not an image)."""
    done, failed = 0, []
    pending = db.session.execute(select(ProductImage.id, ProductImage.stem, ProductImage.original)
                                 .where(ProductImage.width.is_(None))
                                 .order_by(ProductImage.id)).all()
    for image_id, stem, original in pending:
        try:
            width, height = resize_stored(original, stem)
        except (InvalidImage, OSError) as exc:
            log.warning("could not resize a product image", extra={"media": original,
                                                                     "error": str(exc)})
            failed.append(original)
            continue
        with write_transaction() as session:
            session.execute(update(ProductImage).where(ProductImage.id == image_id)
                            .values(width=width, height=height))
        done += 1
    return done, failed


def _locked_gallery(session: Session, store_id: int, product_id: int) -> list[ProductImage]:
    locked = session.scalar(lock_rows(select(Product.id).where(
        Product.id == product_id, Product.store_id == store_id)))
    if locked is None:
        raise ImageNotFound("We could not find that product in this store.")
    return _ordered(session, product_id)


def _ordered(session: Session, product_id: int) -> list[ProductImage]:
    return list(session.scalars(select(ProductImage).where(
        ProductImage.product_id == product_id).order_by(ProductImage.position)))


def _index_of(images: list[ProductImage], image_id: int) -> int:
    for index, image in enumerate(images):
        if image.id == image_id:
            return index
    raise ImageNotFound("That image is no longer on this product.")


def _renumber(session: Session, images: list[ProductImage]) -> None:
    if not images:
        return
    ids = [image.id for image in images]
    session.execute(update(ProductImage).where(ProductImage.id.in_(ids))
                    .values(position=-1 - ProductImage.position)
                    .execution_options(synchronize_session=False))
    for position, image_id in enumerate(ids):
        session.execute(update(ProductImage).where(ProductImage.id == image_id)
                        .values(position=position)
                        .execution_options(synchronize_session=False))
    for image in images:
        session.expire(image, ["position"])


def _audit(session: Session, store_id: int, product_id: int, action: str, actor: str,
           reason: str) -> None:
    record_change(session, store_id=store_id, entity_type="product", entity_id=product_id,
                  action=action, from_state=None, to_state=None, actor=actor, reason=reason)
