"""Revision 0017_variants on a database that already has rows: each product gets one
default variant with its price, stock and id (the SKU its slug), and every cart line, hold,
order line and stock adjustment points at it; the downgrade takes it all away again."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from shop import create_app
from shop.extensions import db

from ..conftest import app_config
from .test_migration_regions import empty_database, insert  # noqa: F401 - a fixture

BEFORE = "0017_receipts"  # the revision 0017_variants follows


def test_existing_rows_get_their_default_variant(empty_database, tmp_path):  # noqa: F811
    app = create_app(app_config(empty_database, "http://127.0.0.1:9", tmp_path))
    with app.app_context():
        upgrade(revision=BEFORE)
        old = sa.MetaData()
        old.reflect(bind=db.engine)
        t = old.tables
        with db.engine.begin() as conn:
            store = insert(conn, t["stores"], slug="main", currency="USD")
            beans = insert(conn, t["products"], store_id=store, slug="kenya", name="Kenya",
                           price=1650, stock_on_hand=7, currency="USD")
            tea = insert(conn, t["products"], store_id=store, slug="sencha", name="Sencha",
                         price=1200, stock_on_hand=0, currency="USD")
            order = insert(conn, t["orders"], store_id=store, token="t1", checkout_token="c1")
            line = insert(conn, t["order_lines"], order_id=order, product_id=tea, name="Sencha",
                          unit_price=1200, quantity=2, total=2400)
            hold = insert(conn, t["inventory_holds"], order_id=order, product_id=tea,
                          quantity=2, status="converted")
            cart = insert(conn, t["carts"], store_id=store, token="cart1")
            item = insert(conn, t["cart_items"], cart_id=cart, product_id=beans, quantity=1)
            adjustment = insert(conn, t["stock_adjustments"], store_id=store, product_id=beans,
                                delta=7, stock_after=7, reason="received", actor="x")

        upgrade()
        with db.engine.connect() as conn:
            variants = conn.execute(sa.text(
                "SELECT id, product_id, sku, name, price, stock_on_hand, active "
                "FROM product_variants ORDER BY id")).all()
            assert [tuple(v) for v in variants] == [
                (beans, beans, "kenya", "", 1650, 7, True), (tea, tea, "sencha", "", 1200, 0, True)]

            def of(table: str, row_id: int):
                return conn.execute(sa.text(
                    f"SELECT variant_id FROM {table} WHERE id = :id"),  # noqa: S608
                    {"id": row_id}).scalar_one()

            assert (of("order_lines", line), of("inventory_holds", hold), of("cart_items", item),
                    of("stock_adjustments", adjustment)) == (tea, tea, beans, beans)
            assert conn.execute(sa.text("SELECT sku FROM order_lines")).scalar_one() == "sencha"
        # A new variant after the migrated ones gets an id of its own (PostgreSQL's sequence).
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO product_variants (store_id, product_id, sku, name, price, "
                "stock_on_hand, position, active) VALUES (:s, :p, 'kenya-1kg', '1 kg', 5000, 0, "
                "1, true)"), {"s": store, "p": beans})
            assert conn.execute(sa.text("SELECT count(DISTINCT id) FROM product_variants")
                                ).scalar_one() == 3

        downgrade(revision=BEFORE)
        after = sa.MetaData()
        after.reflect(bind=db.engine)
        assert "product_variants" not in after.tables
        assert "variant_id" not in after.tables["order_lines"].columns
        assert "sku" not in after.tables["order_lines"].columns
        db.session.remove()
