"""The every-minute hold expiry in set-based batches: more orders than one batch, orders that
must be left alone (paid, still partly held), and orders with a PaymentIntent (Stripe first)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from shop.extensions import db
from shop.models import AuditEvent, InventoryHold, Order, OutboxMessage, SentEmail
from shop.models.types import utcnow
from shop.services.inventory.expiry import (
    ExpiryReport,
    _expire_in_sql,
    expire_batch,
    expire_lapsed_orders,
)
from shop.services.platform.tx import write_transaction

from ..factories import make_order
from ..statements import recorded_statements

NOW = utcnow()
LAPSED = NOW - timedelta(minutes=1)
FRESH = NOW + timedelta(minutes=10)


def held_order(store, product, *expiries, **fields) -> Order:
    order = make_order(store, product, **fields)
    for expires_at in expiries:
        db.session.add(InventoryHold(product_id=product.id, variant_id=product.variants[0].id,
                                     order_id=order.id, quantity=1,
                                     status="active", expires_at=expires_at))
    db.session.commit()
    return order


def states(order_id: int) -> tuple[str, list[str]]:
    db.session.rollback()
    holds = db.session.scalars(select(InventoryHold.status).where(
        InventoryHold.order_id == order_id).order_by(InventoryHold.id)).all()
    return db.session.get(Order, order_id).status, holds


def test_more_orders_than_one_batch_are_all_expired(store, product):
    orders = [held_order(store, product, LAPSED, LAPSED) for _ in range(5)]
    report = expire_lapsed_orders(now=NOW, batch=2)

    assert report.as_dict() == {"expired": 5, "holds_released": 10, "handed_on": 0,
                                "batches": 3}
    for order in orders:
        assert states(order.id) == ("expired", ["released", "released"])
    audits = db.session.execute(select(AuditEvent.entity_id, AuditEvent.from_state,
                                       AuditEvent.to_state, AuditEvent.actor)
                                .order_by(AuditEvent.entity_id)).all()
    assert audits == [(o.id, "pending", "expired", "system:hold-expiry") for o in orders]
    # One e-mail job per batch, and each shopper told once (run in-process without Redis).
    assert db.session.scalars(select(OutboxMessage.job)).all() == ["send_expiry_emails"] * 3
    assert sorted(db.session.scalars(select(SentEmail.order_id))) == [o.id for o in orders]
    assert expire_lapsed_orders(now=NOW, batch=2).as_dict()["expired"] == 0  # run twice


def test_paid_and_partly_held_orders_are_left_alone(store, product):
    paid = held_order(store, product, LAPSED, status="paid", payment_status="paid",
                      paid_at=NOW - timedelta(minutes=5))
    mixed = held_order(store, product, LAPSED, FRESH)
    lapsed = held_order(store, product, LAPSED)
    report = expire_lapsed_orders(now=NOW, batch=1)

    assert (report.expired, report.holds_released) == (1, 1)
    assert states(paid.id) == ("paid", ["active"])
    assert states(mixed.id) == ("pending", ["active", "active"])
    assert states(lapsed.id) == ("expired", ["released"])


def test_the_update_rechecks_the_state_it_expires_from(store, product):
    # Read as a candidate, then paid before the UPDATE ran: the UPDATE's own WHERE skips it.
    order = held_order(store, product, LAPSED)
    with write_transaction() as session:
        order_row = session.get(Order, order.id)
        order_row.payment_status, order_row.paid_at = "paid", NOW
        session.flush()
        assert _expire_in_sql(session, [order.id], NOW) == []
    assert states(order.id) == ("pending", ["active"])


def test_orders_with_a_payment_intent_ask_stripe_first(store, product, shopper):
    shopper.add(product, 1)
    token = shopper.checkout()
    shopper.client_secret(token)  # creates the PaymentIntent
    with_intent = db.session.scalar(select(Order).where(Order.token == token))
    db.session.execute(InventoryHold.__table__.update().values(expires_at=LAPSED))
    db.session.commit()
    plain = held_order(store, product, LAPSED)
    report = expire_lapsed_orders(now=NOW)

    assert (report.expired, report.handed_on) == (1, 1)
    assert states(plain.id) == ("expired", ["released"])
    # close_lapsed_orders ran in-process after the commit: intent canceled, order expired.
    assert states(with_intent.id) == ("expired", ["released"])
    jobs = db.session.scalars(select(OutboxMessage.job).order_by(OutboxMessage.id)).all()
    assert sorted(jobs) == ["close_lapsed_orders", "send_expiry_email", "send_expiry_emails"]


def batch_statements(store, product, count: int) -> int:
    """The statements of one batch that expires ``count`` lapsed orders, up to its commit
    (the e-mail job then runs in-process: not the batch's work)."""
    for _ in range(count):
        held_order(store, product, LAPSED, LAPSED)
    at_commit: list[int] = []
    with recorded_statements() as statements:
        def mark_committed(_session):
            at_commit.append(len(statements))

        event.listen(Session, "after_commit", mark_committed)
        try:
            expire_batch(NOW, after=0, limit=100, report=ExpiryReport())
        finally:
            event.remove(Session, "after_commit", mark_committed)
    return at_commit[0]


def test_one_batch_costs_the_same_statements_for_ten_times_the_orders(store, product):
    few = batch_statements(store, product, 3)
    many = batch_statements(store, product, 30)
    assert db.session.scalar(select(func.count()).where(Order.status == "expired")) == 33
    # Candidates, intents, orders, holds, audit rows, outbox row: not one per order.
    assert few == many
