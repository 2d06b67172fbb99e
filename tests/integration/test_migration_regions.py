"""Revision 0016_regions on a database that already has rows: they get an empty region and
the store the country of its currency; the downgrade takes the columns away again."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from shop import create_app
from shop.extensions import db

from ..conftest import app_config
from ..services import create_private_database, drop_private_database

BEFORE = "0016_alerts"  # the revision 0016_regions follows


@pytest.fixture
def empty_database(tmp_path):
    """A database of its own: SQLite, or a private one beside TEST_DATABASE_URL's."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    private = create_private_database(url)
    yield private
    drop_private_database(private)


def insert(conn, table: sa.Table, **values) -> int:
    """A row with ``values`` and a plain value in every other required column."""
    for column in table.columns:
        if column.name in values or column.nullable or column.server_default is not None \
                or column.primary_key:
            continue
        if isinstance(column.type, sa.Boolean):
            values[column.name] = False
        elif isinstance(column.type, sa.Integer):
            values[column.name] = 1
        elif isinstance(column.type, sa.DateTime):
            values[column.name] = datetime.now(UTC)
        else:
            values[column.name] = "x" * min(getattr(column.type, "length", None) or 8, 8)
    return conn.execute(table.insert().values(**values)).inserted_primary_key[0]


def test_existing_rows_get_a_region_and_stores_a_country(empty_database, tmp_path):
    app = create_app(app_config(empty_database, "http://127.0.0.1:9", tmp_path))
    with app.app_context():
        upgrade(revision=BEFORE)
        old = sa.MetaData()
        old.reflect(bind=db.engine)
        with db.engine.begin() as conn:
            usd = insert(conn, old.tables["stores"], slug="main", currency="USD")
            cad = insert(conn, old.tables["stores"], slug="maple", currency="CAD")
            eur = insert(conn, old.tables["stores"], slug="euro", currency="EUR")
            user = insert(conn, old.tables["users"], email="ada@example.com")
            insert(conn, old.tables["addresses"], user_id=user, country="US", city="Austin")
            insert(conn, old.tables["orders"], store_id=usd, ship_country="CA", token="t1",
                   checkout_token="c1")

        upgrade()
        with db.engine.connect() as conn:
            countries = dict(conn.execute(sa.text("SELECT id, country FROM stores")).all())
            assert countries == {usd: "US", cad: "CA", eur: "US"}
            assert conn.execute(sa.text("SELECT region FROM addresses")).scalar_one() == ""
            assert conn.execute(sa.text("SELECT ship_region, ship_country FROM orders")
                                ).one() == ("", "CA")

        downgrade(revision=BEFORE)
        after = sa.MetaData()
        after.reflect(bind=db.engine)
        assert "region" not in after.tables["addresses"].columns
        assert "ship_region" not in after.tables["orders"].columns
        assert "country" not in after.tables["stores"].columns
        db.session.remove()
        db.engine.dispose()
