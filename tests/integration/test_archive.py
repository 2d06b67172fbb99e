"""The archive job: closed orders older than the store's ARCHIVE_AFTER_DAYS get archived_at,
in audited batches, once; everything else is left exactly as it was; nothing is deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.jobs.periodic import by_name
from shop.models import AuditEvent, Order, StoreSettings
from shop.models.types import utcnow
from shop.services.orders.archive import ACTOR, archive_orders
from shop.services.orders.history import orders_for_user

from ..factories import PASSWORD, make_order, make_product, make_store, make_user
from ..shopper import login

OLD = timedelta(days=91)


def old(store, product, status: str, payment_status: str = "paid", age=OLD, **kw) -> Order:
    order = make_order(store, product, status=status, payment_status=payment_status,
                       created_at=utcnow() - age, **kw)
    # updated_at is set on every write: age it too, as months of quiet would have.
    db.session.execute(Order.__table__.update().where(Order.id == order.id)
                       .values(updated_at=utcnow() - age))
    db.session.commit()
    return order


def archived_ids() -> set[int]:
    db.session.rollback()
    return set(db.session.scalars(select(Order.id).where(Order.archived_at.is_not(None))))


def audit_rows() -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "orders_archived").order_by(AuditEvent.id)))


@pytest.fixture
def product(store):
    return make_product(store, name="Kenya Nyeri", price=1650, stock=10)


@pytest.fixture
def mix(store, product):
    """Five eligible orders and the ineligible kinds beside them."""
    eligible = [old(store, product, "delivered"), old(store, product, "delivered"),
                old(store, product, "canceled", "unpaid"),
                old(store, product, "canceled", "refunded"),
                old(store, product, "paid", "refunded")]  # refunded before it shipped
    ineligible = {
        "paid, not delivered": old(store, product, "paid"),
        "shipped": old(store, product, "shipped"),
        "pending": old(store, product, "pending", "unpaid"),
        "expired": old(store, product, "expired", "unpaid"),
        "partially refunded": old(store, product, "delivered", "partially_refunded",
                                  age=timedelta(days=10)),
        "recent delivered": old(store, product, "delivered", age=timedelta(days=89)),
    }
    # Placed long ago but changed last week (a late refund): not quiet for 90 days yet.
    touched = old(store, product, "delivered")
    db.session.execute(Order.__table__.update().where(Order.id == touched.id)
                       .values(updated_at=utcnow() - timedelta(days=7)))
    db.session.commit()
    ineligible["changed last week"] = touched
    return [o.id for o in eligible], {k: o.id for k, o in ineligible.items()}


def test_eligible_orders_are_archived_in_batches_and_audited(clean_app, store, mix):
    eligible, ineligible = mix
    before = {row.id: (row.status, row.payment_status, row.updated_at)
              for row in db.session.scalars(select(Order))}
    run = archive_orders(batch=2)
    assert run.as_dict() == {"stores": 1, "batches": 3, "archived": 5}
    assert archived_ids() == set(eligible)
    rows = audit_rows()
    assert [(r.entity_type, r.entity_id, r.actor, r.store_id) for r in rows] == \
        [("store", store.id, ACTOR, store.id)] * 3
    assert [r.reason.split(" ")[0] for r in rows] == ["2", "2", "1"]
    # Each batch's audit row names exactly its orders: the same instant as their archived_at.
    for row in rows:
        stamped = db.session.scalars(select(Order.id).where(
            Order.archived_at == row.created_at)).all()
        assert len(stamped) == int(row.reason.split(" ")[0])
    after = {row.id: (row.status, row.payment_status, row.updated_at)
             for row in db.session.scalars(select(Order))}
    assert after == before  # statuses and updated_at untouched; nothing deleted


def test_a_second_run_changes_nothing(clean_app, store, mix):
    archive_orders(batch=2)
    stamps = dict(db.session.execute(select(Order.id, Order.archived_at)).all())
    again = archive_orders(batch=2)
    assert again.as_dict() == {"stores": 1, "batches": 0, "archived": 0}
    assert len(audit_rows()) == 3
    assert dict(db.session.execute(select(Order.id, Order.archived_at)).all()) == stamps


def test_each_store_uses_its_own_setting(clean_app, store, product):
    other = make_store("other")
    other_product = make_product(other, name="Yirgacheffe", price=1400, stock=5)
    db.session.add(StoreSettings(store_id=other.id, archive_after_days=30))
    db.session.commit()
    here = old(store, product, "delivered", age=timedelta(days=40))
    there = old(other, other_product, "delivered", age=timedelta(days=40))
    run = archive_orders()
    assert run.archived == 1 and archived_ids() == {there.id}
    assert [r.store_id for r in audit_rows()] == [other.id]
    assert here.id not in archived_ids()


def test_the_env_default_applies_without_a_setting(clean_app, store, product, monkeypatch):
    order = old(store, product, "delivered", age=timedelta(days=20))
    assert archive_orders().archived == 0
    monkeypatch.setitem(clean_app.config, "ARCHIVE_AFTER_DAYS", 14)
    assert archive_orders().archived == 1 and archived_ids() == {order.id}


def test_the_shopper_still_sees_archived_orders_in_their_history(clean_app, client, store,
                                                                  product):
    user = make_user("ada@example.com")
    mine = old(store, product, "delivered", user=user)
    recent = make_order(store, product, status="paid", payment_status="paid", user=user)
    archive_orders()
    assert archived_ids() == {mine.id}
    page = orders_for_user(user_id=user.id, store_id=store.id, page=1, per_page=10)
    assert [o.id for o in page.orders] == [recent.id, mine.id]
    login(client, "ada@example.com", PASSWORD)
    html = client.get("/account/orders").get_data(as_text=True)
    assert f"/account/orders/{mine.id}" in html and f"/account/orders/{recent.id}" in html
    detail = client.get(f"/account/orders/{mine.id}")
    assert detail.status_code == 200 and "Delivered" in detail.get_data(as_text=True)


def test_the_periodic_job_runs_from_the_cli(clean_app, store, product):
    order = old(store, product, "canceled", "unpaid")
    job = by_name("archive_orders")
    assert job.cron == "53 3 * * *"  # daily
    runner = clean_app.test_cli_runner()
    result = runner.invoke(args=["shop", "run-periodic", "--only", "archive_orders"])
    assert result.exit_code == 0, result.output
    assert "archive_orders" in result.output
    assert archived_ids() == {order.id}
    again = runner.invoke(args=["shop", "run-periodic", "--only", "archive_orders"])
    assert again.exit_code == 0 and len(audit_rows()) == 1


def test_an_unknown_job_name_is_refused(clean_app):
    result = clean_app.test_cli_runner().invoke(
        args=["shop", "run-periodic", "--only", "archive_order"])
    assert result.exit_code == 2 and "archive_order" in result.output


def test_archived_orders_are_never_deleted(clean_app, store, mix):
    total = db.session.scalar(select(func.count()).select_from(Order))
    archive_orders()
    archive_orders()
    assert db.session.scalar(select(func.count()).select_from(Order)) == total


def test_two_runs_at_once_archive_each_order_once(clean_app, store, product):
    from .test_races import run_together

    ids = {old(store, product, "delivered").id for _ in range(7)}

    def run():
        with clean_app.app_context():
            return archive_orders(batch=2).archived

    assert sum(run_together(run, run)) == 7
    assert archived_ids() == ids
    assert sum(int(r.reason.split(" ")[0]) for r in audit_rows()) == 7
