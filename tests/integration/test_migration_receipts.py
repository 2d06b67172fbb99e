"""Revision 0017_receipts on a database that already has stores and paid orders: each store
gets its two counters at 0 (its first receipt is number 1), old paid orders get no receipt,
and the downgrade takes the tables and settings columns away again."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from shop import create_app
from shop.extensions import db

from ..conftest import app_config
from ..services import create_private_database, drop_private_database
from .test_migration_regions import insert

BEFORE = "0017_search"


@pytest.fixture
def old_database(tmp_path):
    """A database of its own: SQLite, or a private one beside TEST_DATABASE_URL's."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    private = create_private_database(url)
    yield private
    drop_private_database(private)


def test_existing_stores_get_counters_and_old_orders_no_receipt(old_database, tmp_path):
    app = create_app(app_config(old_database, "http://127.0.0.1:9", tmp_path))
    with app.app_context():
        upgrade(revision=BEFORE)
        old = sa.MetaData()
        old.reflect(bind=db.engine)
        with db.engine.begin() as conn:
            main = insert(conn, old.tables["stores"], slug="main", currency="USD")
            other = insert(conn, old.tables["stores"], slug="other", currency="USD")
            insert(conn, old.tables["orders"], store_id=main, token="t1", checkout_token="c1",
                   status="paid", payment_status="paid")

        upgrade()
        with db.engine.connect() as conn:
            counters = conn.execute(sa.text(
                "SELECT store_id, kind, last_number FROM document_counters "
                "ORDER BY store_id, kind")).all()
            assert [tuple(row) for row in counters] == [
                (main, "credit_note", 0), (main, "receipt", 0),
                (other, "credit_note", 0), (other, "receipt", 0)]
            assert conn.execute(sa.text("SELECT count(*) FROM receipts")).scalar_one() == 0
            assert conn.execute(sa.text("SELECT legal_name FROM store_settings")).all() == []

        downgrade(revision=BEFORE)
        after = sa.MetaData()
        after.reflect(bind=db.engine)
        assert "receipts" not in after.tables and "document_counters" not in after.tables
        assert "legal_name" not in after.tables["store_settings"].columns
        db.session.remove()
        db.engine.dispose()
