"""The catalog benchmark's data, and the SQL the shop really sends for a page.

``fill`` builds a fresh schema with one store, a few categories and many products (one
bulk ``executemany``, then ``VACUUM ANALYZE``). ``shop_statements`` runs a page through the Flask
test client and records every statement it sends, so that the baseline app can be checked
to run the very same catalog and product queries (``same_sql``).
"""

from __future__ import annotations

import re

from sqlalchemy import insert, text

from bench.schema import add_default_variants, rebuild_schema
from tests.statements import recorded_statements

CATEGORIES = ("Coffee", "Tea", "Cocoa", "Brewing", "Grinders", "Mugs", "Filters", "Gifts")
WORDS = ("Kenya", "Ethiopia", "Colombia", "Sumatra", "Assam", "Darjeeling", "Sencha",
         "Oolong", "Chemex", "Aeropress", "Burr", "Stoneware", "Paper", "Gift", "Dark",
         "Bright", "Single", "Blend", "Classic", "Reserve")


def fill(app, *, products: int, store_slug: str = "main") -> dict:
    """Empty the database, migrate, and add one store with ``products`` products spread
    over the categories. Returns the slugs the load cycles over."""
    from shop.extensions import db
    from shop.models import Category, Product, ProductImage, Store

    rebuild_schema(app)
    with app.app_context():
        store = Store(slug=store_slug, name="Bench Shop", currency="USD")
        db.session.add(store)
        db.session.flush()
        categories = [Category(store_id=store.id, slug=name.lower(), name=name)
                      for name in CATEGORIES]
        db.session.add_all(categories)
        db.session.commit()
        rows = [_product_row(n, store.id, categories[n % len(categories)].id)
                for n in range(1, products + 1)]
        with db.engine.begin() as conn:
            conn.execute(insert(Product.__table__), rows)
            add_default_variants(conn)
            ids = conn.execute(text("SELECT id FROM products ORDER BY id")).scalars().all()
            # One picture each, as a seeded shop has: the pages' statements join them. The
            # pages are measured, not the files, so none is written.
            conn.execute(insert(ProductImage.__table__), [
                {"product_id": product_id, "position": 0, "stem": f"bench{product_id}",
                 "original": f"originals/bench{product_id}.png", "width": 1200,
                 "height": 900, "alt": f"Picture {product_id}"} for product_id in ids])
        # Statistics for the planner and, on PostgreSQL, the visibility map that lets the
        # count be index-only: what autovacuum does soon after a bulk load.
        analyze = "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(analyze))
        return {"categories": [c.slug for c in categories],
                "products": [row["slug"] for row in rows]}


def _product_row(n: int, store_id: int, category_id: int) -> dict:
    # Names in a scrambled order so that "ORDER BY name" does not follow the primary key.
    first, second = WORDS[(n * 7) % len(WORDS)], WORDS[(n * 13 + 3) % len(WORDS)]
    return {"store_id": store_id, "category_id": category_id, "slug": f"product-{n}",
            "name": f"{first} {second} {n:05d}", "description": f"{first} {second}, lot {n}.",
            "price": 500 + (n * 37) % 5000, "currency": "USD",
            "stock_on_hand": n % 40, "active": n % 50 != 0}


def shop_statements(app, path: str) -> list[str]:
    """The statements the shop sends to answer ``GET path`` (one fresh request)."""
    from shop.extensions import db

    with app.app_context():
        engine = db.engine
    client = app.test_client()
    with recorded_statements(engine, control=True) as statements:
        response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return statements


# psycopg adds casts to its placeholders (``%(x)s::INTEGER``); text() writes ``:x``.
_PLACEHOLDER = re.compile(r"%\(\w+\)s(::[A-Z]+(?: WITH(?:OUT)? TIME ZONE)?(?:\[\])?)?"
                          r"|\?|(?<!:):\w+|\$\d+")


def normalised(statement: str) -> str:
    """A statement with its bind placeholders and spacing made comparable across styles."""
    return " ".join(_PLACEHOLDER.sub("?", statement).split()).lower()
