"""Product images through the admin: several uploaded with the product form, resized and
served under /media for a year, shown with srcset on the catalog and first on the product
page, reordered, described and deleted; what is not an image is refused beside the field
and leaves nothing behind."""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import AuditEvent, Product, ProductImage

from ..factories import make_product
from .helpers import field_error, post
from .test_products import product_form


def picture(width: int = 1600, height: int = 1200, colour=(180, 90, 30), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, fmt)
    return out.getvalue()


def upload(client, product, *files: tuple[bytes, str], **fields):
    return post(client, f"/admin/products/{product.id}", {
        **product_form(slug=product.slug, name=product.name),
        "images": [(io.BytesIO(body), name) for body, name in files], **fields},
        content_type="multipart/form-data")


def images_of(product) -> list[ProductImage]:
    db.session.expire_all()
    return list(db.session.scalars(select(ProductImage).where(
        ProductImage.product_id == product.id).order_by(ProductImage.position)))


def files_in(folder) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def change(client, product, image, action: str, alt: str | None = None):
    data = {f"image-{image.id}-action": action}
    if alt is not None:
        data[f"image-{image.id}-alt"] = alt
    return post(client, f"/admin/products/{product.id}/images/{image.id}", data)


def test_several_images_are_resized_served_and_shown(as_staff, store, product, upload_dir):
    response = upload(as_staff, product, (picture(), "front.png"),
                      (picture(800, 800, fmt="JPEG"), "side.JPG"))
    assert response.status_code == 303
    first, second = images_of(product)
    assert (first.position, first.width, first.height, first.alt) == (0, 1600, 1200,
                                                                       "Kenya Nyeri")
    assert (second.position, second.width, second.height) == (1, 800, 800)
    assert first.original == f"originals/{first.stem}.png"
    assert files_in(upload_dir / "products") == {
        f"{image.stem}-{size}.webp" for image in (first, second)
        for size in ("thumb", "card", "full")}
    served = as_staff.application.test_client().get(f"/media/products/{first.stem}-card.webp")
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert Image.open(io.BytesIO(served.data)).size == (480, 360)
    cache = served.headers["Cache-Control"]
    assert {part.strip() for part in cache.split(",")} == {"public", "max-age=31536000",
                                                           "immutable"}
    assert served.headers["X-Content-Type-Options"] == "nosniff"

    catalog = as_staff.application.test_client().get("/").get_data(as_text=True)
    card = re.search(r'<img [^>]*class="card-image"[^>]*>', catalog).group(0)
    assert f'src="/media/products/{first.stem}-card.webp"' in card
    # Every copy but the staff's thumbnail (a card is never drawn 160 px wide).
    assert (f'srcset="/media/products/{first.stem}-card.webp 480w, '
            f'/media/products/{first.stem}-full.webp 1200w"') in card
    assert 'sizes="' in card and 'loading="lazy"' in card
    assert 'width="480" height="360"' in card and 'alt="Kenya Nyeri"' in card

    page = as_staff.application.test_client().get(f"/products/{product.slug}")
    html = page.get_data(as_text=True)
    main = re.search(r'<img [^>]*class="main-image"[^>]*>', html).group(0)
    assert f'src="/media/products/{first.stem}-full.webp"' in main
    assert "loading=" not in main and 'width="1200" height="900"' in main
    more = re.search(r'<ul class="more-images".*?</ul>', html, re.S).group(0)
    assert f"{second.stem}-card.webp" in more and 'loading="lazy"' in more
    # The link previews and the JSON-LD use the first image, as an absolute URL.
    full = f"/media/products/{first.stem}-full.webp"
    og = re.search(r'<meta property="og:image" content="([^"]+)"', html).group(1)
    assert og.startswith("http") and og.endswith(full)
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html,
                              re.S).group(1))
    assert ld["image"] == og


def test_originals_are_not_served(as_staff, store, product, upload_dir):
    upload(as_staff, product, (picture(), "photo.png"))
    image = images_of(product)[0]
    assert (upload_dir / image.original).exists()
    client = as_staff.application.test_client()
    assert client.get(f"/media/{image.original}").status_code == 404
    assert client.get(f"/media/products/../{image.original}").status_code == 404
    assert client.get("/media/products/none-card.webp").status_code == 404
    missing = client.get("/media/products/none-card.webp")
    assert "immutable" not in missing.headers.get("Cache-Control", "")


@pytest.mark.parametrize("body,name,message", [
    (b"<html>", "x.png", "x.png: Upload a PNG, JPEG, GIF or WebP image."),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "broken.png",
     "broken.png: That image could not be read: it may be damaged."),
])
def test_what_is_not_an_image_is_refused_and_nothing_kept(as_staff, store, product,
                                                          upload_dir, body, name, message):
    response = upload(as_staff, product, (picture(), "good.png"), (body, name))
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "images") == message
    assert images_of(product) == []
    assert files_in(upload_dir / "products") == set() and files_in(upload_dir / "originals") \
        == set()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_a_decompression_bomb_is_refused(as_staff, store, product, upload_dir):
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")
    response = upload(as_staff, product, (out.getvalue(), "bomb.png"))
    assert response.status_code == 400
    assert "10000 × 10000 pixels" in field_error(response.get_data(as_text=True), "images")
    assert images_of(product) == [] and not (upload_dir / "products").exists()


def test_an_image_over_the_size_limit_is_refused(as_staff, store, product, upload_dir,
                                                 monkeypatch):
    monkeypatch.setitem(as_staff.application.config, "ADMIN_IMAGE_MAX_BYTES", 1000)
    response = upload(as_staff, product, (picture(), "big.png"))
    assert response.status_code == 400
    assert "larger than" in field_error(response.get_data(as_text=True), "images")
    assert images_of(product) == []


def test_too_many_images_are_refused(as_staff, store, product, upload_dir, monkeypatch):
    monkeypatch.setitem(as_staff.application.config, "MAX_IMAGES_PER_PRODUCT", 2)
    assert upload(as_staff, product, (picture(40, 30), "a.png")).status_code == 303
    response = upload(as_staff, product, (picture(40, 30), "b.png"), (picture(40, 30), "c.png"))
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "images") == \
        "A product can have at most 2 images; this one has 1."
    assert len(images_of(product)) == 1
    assert len(files_in(upload_dir / "originals")) == 1  # the refused two were removed


def test_a_new_product_with_images_and_a_refused_form_keeps_none(as_staff, store, upload_dir):
    taken = make_product(store)
    response = post(as_staff, "/admin/products/new", {
        **product_form(slug=taken.slug), "images": [(io.BytesIO(picture()), "photo.png")]},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert files_in(upload_dir / "products") == set()
    created = post(as_staff, "/admin/products/new", {
        **product_form(name="Sencha"), "images": [(io.BytesIO(picture()), "photo.png")]},
        content_type="multipart/form-data")
    assert created.status_code == 303
    product = db.session.scalar(select(Product).where(Product.slug == "sencha"))
    assert [image.alt for image in images_of(product)] == ["Sencha"]


def test_reorder_describe_and_delete(as_staff, store, product, upload_dir):
    upload(as_staff, product, (picture(colour=(255, 0, 0)), "a.png"),
           (picture(colour=(0, 255, 0)), "b.png"), (picture(colour=(0, 0, 255)), "c.png"))
    a, b, c = images_of(product)
    assert change(as_staff, product, c, "up").status_code == 303
    assert [i.stem for i in images_of(product)] == [a.stem, c.stem, b.stem]
    change(as_staff, product, a, "down")
    assert [i.stem for i in images_of(product)] == [c.stem, a.stem, b.stem]
    change(as_staff, product, c, "up")  # already first: nothing moves
    assert [i.stem for i in images_of(product)] == [c.stem, a.stem, b.stem]
    catalog = as_staff.application.test_client().get("/").get_data(as_text=True)
    assert f"{c.stem}-card.webp" in catalog and f"{a.stem}-card.webp" not in catalog

    assert change(as_staff, product, a, "save", alt="Kenya Nyeri, the bag").status_code == 303
    assert [i.alt for i in images_of(product)][1] == "Kenya Nyeri, the bag"
    change(as_staff, product, a, "save", alt="   ")
    assert images_of(product)[1].alt == "Kenya Nyeri"  # empty: the product's name again

    gone_key, gone_original, a_key, b_key = c.stem, c.original, a.stem, b.stem
    assert change(as_staff, product, c, "delete").status_code == 303
    left = images_of(product)
    assert [(i.stem, i.position) for i in left] == [(a_key, 0), (b_key, 1)]
    assert not any(name.startswith(gone_key) for name in files_in(upload_dir / "products"))
    assert not (upload_dir / gone_original).exists() and (upload_dir / left[0].original).exists()
    actions = [e.action for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("product_image%"))
        .order_by(AuditEvent.id))]
    assert actions == ["product_image_moved", "product_image_moved", "product_image_described",
                       "product_image_described", "product_image_deleted"]


def test_bad_image_changes_change_nothing(as_staff, store, product, other_store, upload_dir):
    upload(as_staff, product, (picture(), "a.png"))
    image = images_of(product)[0]
    too_long = change(as_staff, product, image, "save", alt="x" * 301)
    assert too_long.status_code == 303 and images_of(product)[0].alt == "Kenya Nyeri"
    assert change(as_staff, product, image, "rotate").status_code == 303
    elsewhere = make_product(other_store)
    assert post(as_staff, f"/admin/products/{elsewhere.id}/images/{image.id}",
                {f"image-{image.id}-action": "delete"}).status_code == 404
    other = make_product(store)
    assert post(as_staff, f"/admin/products/{other.id}/images/{image.id}",
                {f"image-{image.id}-action": "delete"}).status_code == 404
    assert [i.id for i in images_of(product)] == [image.id]
    assert len(files_in(upload_dir / "products")) == 3


def test_the_edit_page_lists_the_images(as_staff, store, product, upload_dir):
    upload(as_staff, product, (picture(), "a.png"), (picture(), "b.png"))
    first, second = images_of(product)
    page = as_staff.get(f"/admin/products/{product.id}").get_data(as_text=True)
    assert f'src="/media/products/{first.stem}-thumb.webp"' in page
    assert f'id="image-{second.id}-alt"' in page and 'value="Kenya Nyeri"' in page
    assert page.count(">Move up<") == 1 and page.count(">Move down<") == 1
