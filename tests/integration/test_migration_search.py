"""Revision 0017_search on a database that already has products: they become searchable
(name above description), later edits are followed, and the downgrade takes it away."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from shop import create_app
from shop.extensions import db
from shop.services.catalog.search import search_products

from ..conftest import app_config
from .test_migration_regions import empty_database, insert  # noqa: F401 (a fixture)

BEFORE = "0017_cards"  # the revision 0017_search follows


def names(store_id: int, text: str) -> list[str]:
    found = search_products(store_id=store_id, text=text, page=1, per_page=24)
    return [card.name for card in found.page.products]


def test_existing_products_become_searchable(empty_database, tmp_path):  # noqa: F811
    app = create_app(app_config(empty_database, "http://127.0.0.1:9", tmp_path))
    with app.app_context():
        upgrade(revision=BEFORE)
        old = sa.MetaData()
        old.reflect(bind=db.engine)
        products = old.tables["products"]
        with db.engine.begin() as conn:
            store = insert(conn, old.tables["stores"], slug="main", currency="USD")
            for slug, name, description in (
                ("a", "Kettle", "Pairs with any grinder."),
                ("b", "Hand Grinder", "Ceramic burrs."),
                ("c", "Crème Fraîche Mug", ""),
            ):
                insert(conn, products, store_id=store, slug=slug, name=name,
                       description=description, price=100, currency="USD", active=True)

        upgrade()
        assert names(store, "grinder") == ["Hand Grinder", "Kettle"]
        assert names(store, "creme fraiche") == ["Crème Fraîche Mug"]
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE products SET name = 'Gooseneck Kettle' "
                                 "WHERE slug = 'a'"))
        assert names(store, "gooseneck") == ["Gooseneck Kettle"]

        downgrade(revision=BEFORE)
        after = sa.MetaData()
        after.reflect(bind=db.engine)
        assert "search_vector" not in after.tables["products"].columns
        assert not [name for name in after.tables if name.startswith("products_fts")]
        db.session.remove()
