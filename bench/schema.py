"""A fresh schema built by the migrations, shared by the benchmarks and the test suite.

Dropping only the tables today's models know is not enough: a shared PostgreSQL database
may still hold tables from another branch or an older run whose foreign keys would block
the drop.
"""

from __future__ import annotations

from sqlalchemy import MetaData, text


def drop_everything(engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        return
    with engine.begin() as conn:
        # A virtual table (full-text search) owns shadow tables that reflection lists as
        # tables of their own: dropped with it, first.
        for (name,) in conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND sql LIKE 'CREATE VIRTUAL TABLE%'")).all():
            conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
    existing = MetaData()
    existing.reflect(bind=engine)
    existing.drop_all(bind=engine)


def rebuild_schema(app) -> None:
    """Inside ``app``'s context: empty its database and run every migration."""
    from flask_migrate import upgrade

    from shop.extensions import db

    with app.app_context():
        drop_everything(db.engine)
        upgrade()


def add_default_variants(conn) -> None:
    """One default variant for every product that has none, its id the product's (as
    migration 0017_variants gives them), so that bulk-filled holds and order lines can say
    ``variant_id = product_id``."""
    conn.execute(text(
        "INSERT INTO product_variants (id, store_id, product_id, sku, name, price, "
        "stock_on_hand, position, active) SELECT p.id, p.store_id, p.id, p.slug, '', p.price, "
        "p.stock_on_hand, 0, true FROM products p WHERE NOT EXISTS "
        "(SELECT 1 FROM product_variants v WHERE v.product_id = p.id)"))
    if conn.dialect.name == "postgresql":
        conn.execute(text(
            "SELECT setval(pg_get_serial_sequence('product_variants', 'id'), "
            "COALESCE((SELECT max(id) FROM product_variants), 0) + 1, false)"))
