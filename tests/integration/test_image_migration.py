"""Migration 0016_images moves each product's single image into ``product_images`` (two
products that shared a file keep it), ``flask shop resize-images`` then makes the copies,
and the demo seed draws a picture for every product that has none. On a database of its
own (SQLite), from the revision 0016_images follows (whatever the heads are chained to)."""

from __future__ import annotations

import io

import pytest
from flask_migrate import downgrade, upgrade
from PIL import Image
from sqlalchemy import select, text

from bench.schema import drop_everything
from shop import create_app
from shop.extensions import db
from shop.models import Product, ProductImage

from ..conftest import app_config


def parent_of_images(app) -> str:
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config()
    parent = ScriptDirectory.from_config(config).get_revision("0016_images").down_revision
    assert isinstance(parent, str)
    return parent


@pytest.fixture
def old_app(tmp_path, stripe_sandbox):
    app = create_app({**app_config(f"sqlite:///{tmp_path / 'old.db'}", stripe_sandbox.url,
                                   tmp_path),
                      "UPLOAD_DIR": str(tmp_path / "uploads")})
    with app.app_context():
        drop_everything(db.engine)
        upgrade(revision=parent_of_images(app))
    yield app
    with app.app_context():
        db.engine.dispose()


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 120, 60)).save(out, "PNG")
    return out.getvalue()


def test_single_images_move_and_are_resized(old_app, tmp_path):
    uploads = tmp_path / "uploads" / "products"
    uploads.mkdir(parents=True)
    (uploads / "a1b2c3.png").write_bytes(png(900, 600))
    with old_app.app_context():
        db.session.execute(text("INSERT INTO stores (slug, name, currency) "
                                "VALUES ('main', 'Main', 'USD')"))
        for slug, image in (("one", "products/a1b2c3.png"), ("two", "products/a1b2c3.png"),
                            ("three", None), ("four", "products/gone.png")):
            db.session.execute(text(
                "INSERT INTO products (store_id, slug, name, description, price, currency, "
                "stock_on_hand, image, active) VALUES (1, :slug, :name, '', 100, 'USD', 1, "
                ":image, 1)"), {"slug": slug, "name": slug.title(), "image": image})
        db.session.commit()
        upgrade()
        rows = db.session.execute(select(Product.slug, ProductImage.stem, ProductImage.original,
                                         ProductImage.position, ProductImage.alt,
                                         ProductImage.width)
                                  .join(ProductImage).order_by(Product.id)).all()
        assert [tuple(row) for row in rows] == [
            ("one", "a1b2c3", "products/a1b2c3.png", 0, "One", None),
            ("two", "a1b2c3-2", "products/a1b2c3.png", 0, "Two", None),
            ("four", "gone", "products/gone.png", 0, "Four", None)]
        db.session.remove()

    client = old_app.test_client()
    before = client.get("/products/one").get_data(as_text=True)
    assert 'src="/media/products/a1b2c3.png"' in before and "srcset" not in before

    result = old_app.test_cli_runner().invoke(args=["shop", "resize-images"])
    assert result.exit_code == 1  # one original is missing, and it says which
    assert "2 images resized." in result.output and "products/gone.png" in result.output
    assert {p.name for p in uploads.iterdir()} >= {
        f"{stem}-{size}.webp" for stem in ("a1b2c3", "a1b2c3-2")
        for size in ("thumb", "card", "full")}
    after = client.get("/products/two").get_data(as_text=True)
    assert 'srcset="/media/products/a1b2c3-2-card.webp 480w, ' \
        '/media/products/a1b2c3-2-full.webp 900w"' in after
    again = old_app.test_cli_runner().invoke(args=["shop", "resize-images"])
    assert "0 images resized." in again.output

    with old_app.app_context():
        downgrade(revision=parent_of_images(old_app))
        back = db.session.execute(text("SELECT slug, image FROM products ORDER BY id")).all()
        assert [tuple(row) for row in back] == [
            ("one", "products/a1b2c3.png"), ("two", "products/a1b2c3.png"), ("three", None),
            ("four", "products/gone.png")]


def test_the_seed_draws_a_picture_for_each_product(old_app, tmp_path):
    from shop.seed import CATALOG, draw_missing_images, seed_demo

    with old_app.app_context():
        upgrade()
        store, added = seed_demo("main")
        assert added == sum(len(items) for items in CATALOG.values())
        images = db.session.scalars(select(ProductImage)).all()
        assert len(images) == added
        assert {(i.width, i.height) for i in images} == {(1200, 900)}
        assert all(i.alt for i in images)
        assert draw_missing_images(store.id) == 0  # a second seed draws nothing
        assert seed_demo("main")[1] == 0
        card = tmp_path / "uploads" / "products" / f"{images[0].stem}-card.webp"
        assert Image.open(card).size == (480, 360)
        db.session.remove()
