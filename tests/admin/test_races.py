"""Admin races on purpose: two owners demoting each other at the same instant, and a stock
removal racing a checkout for the last units."""

from __future__ import annotations

from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Role, StoreMembership
from shop.services.accounts import staff
from shop.services.inventory.stock import StockBelowZero, adjust_stock

from ..factories import make_product, make_user
from ..integration.test_races import run_together


def test_two_owners_demoting_each_other_leave_one_owner(clean_app, store):
    a = make_user("a@example.com", store=store, role=Role.OWNER)
    b = make_user("b@example.com", store=store, role=Role.OWNER)
    ids = {m.user_id: m.id for m in db.session.scalars(select(StoreMembership))}
    store_id, a_id, b_id = store.id, a.id, b.id  # the threads must not touch our session
    db.session.commit()

    def demote(membership_id: int, actor: str):
        def run():
            with clean_app.app_context():
                try:
                    staff.change_role(store_id=store_id, membership_id=membership_id,
                                      role=Role.STAFF, actor=actor)
                    return "demoted"
                except staff.LastOwner:
                    return "refused"
        return run

    results = run_together(demote(ids[a_id], "staff:b@example.com"),
                           demote(ids[b_id], "staff:a@example.com"))
    assert sorted(results) == ["demoted", "refused"]
    db.session.rollback()
    owners = db.session.scalar(select(func.count(StoreMembership.id)).where(
        StoreMembership.role == Role.OWNER))
    assert owners == 1


def test_concurrent_removals_never_take_stock_below_zero(clean_app, store):
    product = make_product(store, stock=5)
    # The threads must not touch our session.
    store_id, variant_id = store.id, product.variants[0].id

    def remove_three():
        with clean_app.app_context():
            try:
                adjust_stock(store_id=store_id, variant_id=variant_id, delta=-3,
                             reason="Damaged or lost", actor="staff:x@example.com")
                return "removed"
            except StockBelowZero:
                return "refused"

    assert sorted(run_together(remove_three, remove_three)) == ["refused", "removed"]
    db.session.rollback()
    db.session.refresh(product)
    assert product.stock_on_hand == 2


def test_refunds_of_the_same_units_at_once_refund_and_restock_them_once(
        clean_app, store, stripe_client, stripe_sandbox):
    """Four staff refund (and restock) one of the order's two bags at the same instant: two
    succeed, the others are told nothing is left, and exactly two bags go back."""
    from shop.domain.refund_lines import InvalidRefundLines
    from shop.domain.refund_policy import Refunder
    from shop.models import OrderLine, PaymentTransaction
    from shop.services.refunds.refunds import refund_payment

    from .money import attempt_of, paid_checkout

    user = make_user("clerk@example.com", store=store, role=Role.STAFF)
    beans = make_product(store, name="Kenya Nyeri", price=1650, stock=10)
    order = paid_checkout(clean_app, stripe_client, stripe_sandbox.url, [(beans, 2)])
    attempt_id, user_id, product_id = attempt_of(order).id, user.id, beans.id
    line_id = db.session.scalar(select(OrderLine.id).where(OrderLine.order_id == order.id))
    db.session.commit()

    def refund_one():
        with clean_app.app_context():
            try:
                row = refund_payment(attempt_id=attempt_id, lines={line_id: 1}, restock=True,
                                     reason="requested_by_customer", by=Refunder.user(user_id),
                                     actor="staff:clerk@example.com")
                return row.status
            except InvalidRefundLines:
                return "refused"

    results = run_together(*[refund_one] * 4)
    assert sorted(results) == ["refused", "refused", "succeeded", "succeeded"]
    db.session.rollback()
    amounts = db.session.scalars(select(PaymentTransaction.amount).where(
        PaymentTransaction.kind == "refund")).all()
    assert sum(amounts) == order.total  # the second unit brought the shipping and last tax
    assert db.session.get(type(beans), product_id).stock_on_hand == 10


def test_staff_refunds_at_once_stay_within_the_limit(clean_app, store, stripe_client,
                                                     stripe_sandbox):
    from shop.domain.refund_policy import RefundAboveLimit, Refunder
    from shop.models import PaymentTransaction, StoreSettings
    from shop.services.refunds.refunds import refund_payment

    from .money import attempt_of, paid_checkout

    user = make_user("clerk@example.com", store=store, role=Role.STAFF)
    beans = make_product(store, name="Kenya Nyeri", price=1650, stock=10)
    order = paid_checkout(clean_app, stripe_client, stripe_sandbox.url, [(beans, 2)])
    attempt_id, user_id = attempt_of(order).id, user.id
    db.session.add(StoreSettings(store_id=store.id, staff_refund_limit=1000))
    db.session.commit()

    def refund_six():
        with clean_app.app_context():
            try:
                refund_payment(attempt_id=attempt_id, amount=600, by=Refunder.user(user_id),
                               actor="staff:clerk@example.com")
                return "refunded"
            except RefundAboveLimit:
                return "refused"

    assert sorted(run_together(*[refund_six] * 3)) == ["refunded", "refused", "refused"]
    db.session.rollback()
    assert db.session.scalars(select(PaymentTransaction.amount).where(
        PaymentTransaction.kind == "refund")).all() == [600]
