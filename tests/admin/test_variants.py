"""Staff and a product's variants: add one, change one, adjust one's stock; each audited,
the catalog's "from" price kept; bad input refused with the form's message, changing
nothing. Order pages show the variant sold and its SKU."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from shop.extensions import db
from shop.models import AuditEvent, Product, ProductVariant, StockAdjustment

from ..factories import make_order, make_product, make_variant
from .helpers import csrf, field_error, post


def variant_post(client, url: str, prefix: str, **fields):
    data = {f"{prefix}-{name}": value for name, value in fields.items()}
    return client.post(url, data={f"{prefix}-csrf_token": csrf(client), **data})


def variants_of(product_id: int) -> list[tuple]:
    db.session.rollback()
    return [tuple(row) for row in db.session.execute(
        select(ProductVariant.sku, ProductVariant.name, ProductVariant.price,
               ProductVariant.stock_on_hand, ProductVariant.active)
        .where(ProductVariant.product_id == product_id).order_by(ProductVariant.position))]


def test_add_a_variant_and_the_from_price_follows(as_staff, store, product):
    response = variant_post(as_staff, f"/admin/products/{product.id}/variants", "new-variant",
                            sku="KEN-1KG", name="1 kg · ground", price="12.00", active="y")
    assert response.status_code == 303
    assert variants_of(product.id) == [(product.slug, "", 1650, 10, True),
                                       ("KEN-1KG", "1 kg · ground", 1200, 0, True)]
    assert db.session.get(Product, product.id).price == 1200  # the lowest on sale
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "variant_added"))
    assert (event.entity_id, event.to_state, event.actor) == (
        product.id, "KEN-1KG", "staff:staff@example.com")
    page = as_staff.get(f"/admin/products/{product.id}").get_data(as_text=True)
    assert "1 kg · ground" in page and "KEN-1KG" in page


def test_edit_a_variant_take_it_off_sale(as_staff, store, product):
    large = make_variant(product, "1 kg", price=1200, stock=3, sku="KEN-1KG")
    response = variant_post(as_staff, f"/admin/products/{product.id}/variants/{large.id}",
                            f"variant-{large.id}", sku="KEN-1000", name="1 kg bag",
                            price="55.00")  # no "active": unticked
    assert response.status_code == 303
    assert variants_of(product.id)[1] == ("KEN-1000", "1 kg bag", 5500, 3, False)
    assert db.session.get(Product, product.id).price == 1650
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "variant_updated"))
    assert event.from_state.startswith("KEN-1KG") and "not sold" in event.to_state
    # The variant field offers only what is on sale (the product's own id may be the same
    # number: its hidden product_id field is not a variant).
    html = as_staff.get(f"/products/{product.slug}").get_data(as_text=True)
    offered = re.findall(r'name="variant"[^>]*value="(\d+)"', html)
    assert offered and str(large.id) not in offered


def test_a_taken_sku_or_bad_price_is_refused_and_changes_nothing(as_staff, store, product):
    other = make_product(store, name="Sencha")
    url = f"/admin/products/{product.id}/variants"
    taken = variant_post(as_staff, url, "new-variant", sku=other.slug, name="Big",
                         price="3.00", active="y")
    assert taken.status_code == 400
    assert field_error(taken.get_data(as_text=True), "new-variant-sku") == (
        f"Another variant in this store already has the SKU “{other.slug}”.")
    bad = variant_post(as_staff, url, "new-variant", sku="OK-1", name="Big", price="-3",
                       active="y")
    assert bad.status_code == 400
    assert field_error(bad.get_data(as_text=True), "new-variant-price")
    assert variants_of(product.id) == [(product.slug, "", 1650, 10, True)]
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


def test_the_last_variant_on_sale_stays_on_sale(as_staff, store, product):
    (only,) = product.variants
    response = variant_post(as_staff, f"/admin/products/{product.id}/variants/{only.id}",
                            f"variant-{only.id}", sku=only.sku, name="", price="16.50")
    assert response.status_code == 400
    assert "archive the product instead" in response.get_data(as_text=True)
    assert variants_of(product.id) == [(product.slug, "", 1650, 10, True)]


def test_stock_is_adjusted_per_variant(as_staff, store, product):
    large = make_variant(product, "1 kg", price=5000, stock=3, sku="KEN-1KG")
    missing = post(as_staff, f"/admin/products/{product.id}/stock",
                   {"delta": "4", "reason": "received"})
    assert missing.status_code == 400
    assert field_error(missing.get_data(as_text=True), "variant") == (
        "Choose one of this product's variants.")
    response = post(as_staff, f"/admin/products/{product.id}/stock",
                    {"variant": str(large.id), "delta": "4", "reason": "received"})
    assert response.status_code == 303
    assert [row[3] for row in variants_of(product.id)] == [10, 7]
    assert db.session.get(Product, product.id).stock_on_hand == 17
    adjustment = db.session.scalar(select(StockAdjustment))
    assert (adjustment.variant_id, adjustment.delta, adjustment.stock_after) == (large.id, 4, 7)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "stock_adjusted"))
    assert (event.from_state, event.to_state, event.reason) == (
        "3", "7", "KEN-1KG: Delivery received")


def test_another_products_variant_is_not_found(as_staff, store, product):
    other = make_product(store, name="Sencha")
    response = variant_post(
        as_staff, f"/admin/products/{product.id}/variants/{other.variants[0].id}",
        f"variant-{other.variants[0].id}", sku="X-1", name="", price="1.00", active="y")
    assert response.status_code == 404
    assert variants_of(other.id)[0][0] == other.slug


def test_the_order_page_shows_the_variant_and_sku(as_staff, store, product):
    order = make_order(store, product)
    line = order.lines[0]
    line.name, line.sku = "Kenya Nyeri — 1 kg · ground", "KEN-1KG-G"
    db.session.commit()
    page = as_staff.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "Kenya Nyeri — 1 kg · ground" in page and "SKU KEN-1KG-G" in page


def test_low_stock_is_per_variant(as_staff, store, product):
    make_variant(product, "1 kg", price=5000, stock=2, sku="KEN-1KG")  # the 250 g: 10
    page = as_staff.get("/admin/stock/low").get_data(as_text=True)
    assert "Kenya Nyeri — 1 kg" in page and "SKU KEN-1KG" in page
    assert page.count(f"/admin/products/{product.id}\"") == 1  # not the plentiful variant
