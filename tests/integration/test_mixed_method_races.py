"""The last units race with mixed payment methods: 50 shoppers after 10 units at once, some
paying by card, some cash on delivery (which takes its stock at checkout), some by bank
transfer (a hold of days). Exactly 10 orders are placed and nothing is oversold, whichever
way each pays (SQLite's BEGIN IMMEDIATE, PostgreSQL's row locks)."""

from sqlalchemy import func, select

from shop.extensions import db
from shop.models import InventoryHold, Order, ProductVariant, StoreSettings

from ..factories import make_product
from ..shopper import Shopper, csrf_token
from .test_races import run_together

SHOPPERS = 50
UNITS = 10
METHODS = ("stripe", "cod", "bank_transfer")


def test_fifty_shoppers_for_ten_units_with_mixed_methods(clean_app, store):
    db.session.add(StoreSettings(store_id=store.id, payment_methods=list(METHODS),
                                 bank_account="IBAN GB33 BUKB 2020 1555 5555 55"))
    product = make_product(store, name="Gesha Lot 9", price=1000, stock=UNITS)
    db.session.commit()
    product_id, slug, variant_id = product.id, product.slug, product.variants[0].id
    shoppers = []
    for i in range(SHOPPERS):
        shopper = Shopper(clean_app.test_client())
        page = shopper.client.get(f"/products/{slug}").get_data(as_text=True)
        added = shopper.client.post("/cart/add", data={
            "csrf_token": csrf_token(page), "product_id": product_id, "quantity": 1})
        assert added.status_code == 303
        shoppers.append((METHODS[i % 3], shopper, shopper.checkout_form()))

    def checkout(shopper, form, method):
        return lambda: shopper.submit_checkout(form, payment_method=method).status_code

    statuses = run_together(*(checkout(s, f, m) for m, s, f in shoppers))
    assert sorted(statuses) == [303] * UNITS + [409] * (SHOPPERS - UNITS)

    db.session.rollback()  # end the read snapshot (SQLite WAL) and reload
    orders = db.session.execute(select(Order.payment_method, func.count(Order.id))
                                .group_by(Order.payment_method)).all()
    assert sum(count for _, count in orders) == UNITS
    cod = dict(orders).get("cod", 0)
    # Cash on delivery took its units off the shelf; the others hold theirs.
    on_hand = db.session.scalar(select(ProductVariant.stock_on_hand)
                                .where(ProductVariant.id == variant_id))
    assert on_hand == UNITS - cod
    held = db.session.scalar(select(func.coalesce(func.sum(InventoryHold.quantity), 0))
                             .where(InventoryHold.status == "active")) or 0
    assert held == UNITS - cod
    assert on_hand - held == 0  # sold out: nothing left, nothing oversold
