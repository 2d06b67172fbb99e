"""Revision 0018_payment_history on a database that already has payments: every attempt and
refund gets its entry under its order's shopper (None for a guest order), captures none;
the shopper's page reads them; the downgrade takes the table away again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from shop import create_app
from shop.extensions import db
from shop.services.payments.history import payment_history

from ..conftest import app_config
from .test_migration_receipts import old_database  # noqa: F401 - a fixture
from .test_migration_regions import insert

BEFORE = "0018_payment_methods"


def test_existing_attempts_and_refunds_get_their_entries(old_database, tmp_path):  # noqa: F811
    app = create_app(app_config(old_database, "http://127.0.0.1:9", tmp_path))
    day = datetime(2026, 11, 1, tzinfo=UTC)
    with app.app_context():
        upgrade(revision=BEFORE)
        old = sa.MetaData()
        old.reflect(bind=db.engine)
        t = old.tables
        with db.engine.begin() as conn:
            store = insert(conn, t["stores"], slug="main", currency="USD")
            ada = insert(conn, t["users"], email="ada@example.com")
            mine = insert(conn, t["orders"], store_id=store, user_id=ada, token="t1",
                          checkout_token="c1", status="paid", payment_status="refunded")
            guest = insert(conn, t["orders"], store_id=store, token="t2", checkout_token="c2",
                           status="paid", payment_status="paid")
            attempts = [insert(conn, t["payment_attempts"], store_id=store, order_id=order,
                               status="captured", amount=1650, currency="USD",
                               idempotency_key=f"k{order}", created_at=day + timedelta(days=n))
                        for n, order in enumerate((mine, guest))]
            for kind, days in (("capture", 0), ("refund", 3)):
                insert(conn, t["payment_transactions"], store_id=store,
                       attempt_id=attempts[0], kind=kind, status="succeeded", amount=1650,
                       currency="USD", actor="test", created_at=day + timedelta(days=days))

        upgrade()
        with db.engine.connect() as conn:
            found = conn.execute(sa.text(
                "SELECT user_id, order_id, attempt_id, transaction_id IS NOT NULL "
                "FROM payment_history ORDER BY id")).all()
        assert [tuple(row) for row in found] == [
            (ada, mine, attempts[0], False), (None, guest, attempts[1], False),
            (ada, mine, attempts[0], True)]  # oldest first
        page = payment_history(user_id=ada, store_id=store, page=1, per_page=10)
        assert [(row.kind, row.status, row.at) for row in page.rows] == [
            ("refund", "refunded", day + timedelta(days=3)), ("payment", "paid", day)]
        assert page.total == 2
        db.session.remove()

        downgrade(revision=BEFORE)
        after = sa.MetaData()
        after.reflect(bind=db.engine)
        assert "payment_history" not in after.tables
        db.session.remove()
        db.engine.dispose()
