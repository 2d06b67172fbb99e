"""The last units race, per variant: two variants of one product with 10 units each and 50
shoppers after each at once. Exactly 10 orders hold each variant, nobody oversells, and the
other variant's stock never counts for this one (SQLite's BEGIN IMMEDIATE, PostgreSQL's row
locks)."""

from sqlalchemy import func, select

from shop.extensions import db
from shop.models import InventoryHold, Order, OrderLine, Product, ProductVariant

from ..factories import make_product, make_variant
from ..shopper import Shopper, csrf_token
from .test_races import run_together

SHOPPERS_PER_VARIANT = 50
UNITS = 10


def test_fifty_shoppers_for_ten_units_of_each_variant(clean_app, store):
    product = make_product(store, name="Gesha Lot 7", stock=UNITS)
    product.variants[0].name = "250 g"
    db.session.commit()
    large = make_variant(product, "1 kg", price=5000, stock=UNITS)
    variant_ids = [product.variants[0].id, large.id]
    product_id, slug = product.id, product.slug
    shoppers = []
    for variant_id in variant_ids:
        for _ in range(SHOPPERS_PER_VARIANT):
            shopper = Shopper(clean_app.test_client())
            page = shopper.client.get(f"/products/{slug}").get_data(as_text=True)
            added = shopper.client.post("/cart/add", data={
                "csrf_token": csrf_token(page), "product_id": product_id,
                "variant": variant_id, "quantity": 1})
            assert added.status_code == 303 and added.headers["Location"] == "/cart"
            shoppers.append((variant_id, shopper, shopper.checkout_form()))

    def checkout(shopper, form):
        return lambda: shopper.submit_checkout(form).status_code

    statuses = run_together(*(checkout(s, f) for _, s, f in shoppers))
    for variant_id in variant_ids:
        mine = [status for (v, _, _), status in zip(shoppers, statuses, strict=True)
                if v == variant_id]
        assert sorted(mine) == [303] * UNITS + [409] * (SHOPPERS_PER_VARIANT - UNITS)

    db.session.rollback()  # end the read snapshot (SQLite WAL) and reload
    held = dict(db.session.execute(
        select(InventoryHold.variant_id, func.sum(InventoryHold.quantity))
        .where(InventoryHold.status == "active").group_by(InventoryHold.variant_id)).all())
    assert held == {variant_ids[0]: UNITS, variant_ids[1]: UNITS}
    ordered = dict(db.session.execute(
        select(OrderLine.variant_id, func.count(func.distinct(OrderLine.order_id)))
        .group_by(OrderLine.variant_id)).all())
    assert ordered == {variant_ids[0]: UNITS, variant_ids[1]: UNITS}
    assert db.session.scalar(select(func.count(Order.id))) == 2 * UNITS
    # Holds, not decrements: every variant still has its units on hand until paid.
    stock = dict(db.session.execute(select(ProductVariant.id, ProductVariant.stock_on_hand)
                                    .where(ProductVariant.product_id == product_id)).all())
    assert stock == {variant_ids[0]: UNITS, variant_ids[1]: UNITS}
    assert db.session.get(Product, product_id).stock_on_hand == 2 * UNITS
