"""The payment history's read model: each attempt and refund gets its entry in the
transaction that writes it, under the order's shopper (a signed-in checkout's, None for a
guest's), and a claimed guest order brings its entries to the account that claims it."""

from __future__ import annotations

from sqlalchemy import select

from shop.extensions import db
from shop.models import Order, PaymentAttempt, PaymentHistoryEntry, PaymentTransaction
from shop.services.accounts.verification import verify_email, verify_token_for
from shop.services.payments.attempts import create_attempt
from shop.services.payments.history import payment_history
from shop.services.refunds.refunds import refund_payment

from ..factories import PASSWORD, make_user
from ..factories import make_order as order_without_attempt
from ..payments import captured, make_order, pay
from ..shopper import Shopper, login
from ..statements import statements_for
from .test_payment_history import mine


def entries(order_id: int) -> list[tuple]:
    """(user, attempt, refund, at is the source's) of the order's entries, oldest first."""
    db.session.rollback()
    found = []
    for entry in db.session.scalars(select(PaymentHistoryEntry).where(
            PaymentHistoryEntry.order_id == order_id).order_by(PaymentHistoryEntry.id)):
        source = entry.transaction or entry.attempt
        found.append((entry.user_id, entry.attempt_id, entry.transaction_id,
                      entry.at == source.created_at and entry.store_id == source.store_id))
    return found


def history(user, store, status: str | None = None) -> list[tuple[str, str]]:
    page = payment_history(user_id=user.id, store_id=store.id, page=1, per_page=50,
                           status=status)
    assert page.total == len(page.rows)
    return [(row.kind, row.status) for row in page.rows]


def checkout(client, product, stripe_client) -> PaymentAttempt:
    """Order ``product`` through the storefront as ``client`` and pay it by card."""
    shopper = Shopper(client)
    shopper.add(product)
    token = shopper.checkout()
    order = db.session.scalar(select(Order).where(Order.token == token))
    return pay(stripe_client, order)


def test_a_signed_in_checkout_and_its_refund_are_in_the_shoppers_history(
        clean_app, client, store, product, stripe_client):
    ada = make_user("ada@example.com")
    login(client, ada.email, PASSWORD)
    attempt = checkout(client, product, stripe_client)
    refund = refund_payment(attempt_id=attempt.id, amount=500, actor="staff:owner@example.com")

    assert entries(attempt.order_id) == [(ada.id, attempt.id, None, True),
                                         (ada.id, attempt.id, refund.id, True)]
    assert history(ada, store) == [("refund", "refunded"), ("payment", "paid")]
    # A refund's entry is not its attempt's: each status finds one of them.
    assert history(ada, store, "paid") == [("payment", "paid")]
    assert history(ada, store, "refunded") == [("refund", "refunded")]
    assert history(ada, store, "refund_pending") == history(ada, store, "failed") == []


def test_a_guest_orders_payments_are_in_nobodys_history(
        clean_app, client, store, product, stripe_client):
    ada = make_user("ada@example.com")  # the guest's address, but not verified
    attempt = checkout(client, product, stripe_client)  # not signed in
    refund_payment(attempt_id=attempt.id, actor="staff:owner@example.com")

    assert [entry[0] for entry in entries(attempt.order_id)] == [None, None]
    assert history(ada, store) == []
    login(client, ada.email, PASSWORD)
    assert "No payments match." in client.get("/account/payments").get_data(as_text=True)


def test_claimed_guest_orders_bring_their_payments_and_refunds(
        clean_app, store, product, stripe_client):
    paid = captured(store, product, stripe_client, email="grace@example.com")
    refund = refund_payment(attempt_id=paid.id, amount=300, actor="staff:owner@example.com")
    someone_elses = captured(store, product, stripe_client, email="gracie@example.com")
    grace = make_user("grace@example.com")
    assert history(grace, store) == []

    assert verify_email(token=verify_token_for(grace), store_id=store.id).claimed == 1
    assert entries(paid.order_id) == [(grace.id, paid.id, None, True),
                                      (grace.id, paid.id, refund.id, True)]
    assert history(grace, store) == [("refund", "refunded"), ("payment", "paid")]
    assert [entry[0] for entry in entries(someone_elses.order_id)] == [None]


def test_a_new_attempt_on_a_shoppers_order_is_in_their_history(clean_app, store, product):
    ada = make_user("ada@example.com")
    order = order_without_attempt(store, product, user=ada)
    attempt = create_attempt(order_id=order.id, actor="staff:owner@example.com")

    assert entries(order.id) == [(ada.id, attempt.id, None, True)]
    assert history(ada, store) == [("payment", "in_progress")]


def test_a_capture_is_no_entry_of_its_own(clean_app, store, product, stripe_client):
    attempt = captured(store, product, stripe_client)
    db.session.rollback()
    kinds = db.session.scalars(select(PaymentTransaction.kind).where(
        PaymentTransaction.attempt_id == attempt.id)).all()
    assert "capture" in kinds
    assert entries(attempt.order_id) == [(None, attempt.id, None, True)]


def test_the_page_sends_as_many_statements_for_10_times_the_history(
        clean_app, store, product, limits):
    limits(ACCOUNT_ORDERS_PER_PAGE=50)
    ada = make_user("ada@example.com")
    client = clean_app.test_client()
    login(client, ada.email, PASSWORD)

    def add(count: int) -> None:
        for _ in range(count):
            mine(make_order(store, product).id, ada)

    add(2)
    few = statements_for(client, "/account/payments?status=in_progress")
    add(18)
    many = statements_for(client, "/account/payments?status=in_progress")
    assert len(many) == len(few)
    assert "20 payments and refunds found." in client.get(
        "/account/payments?status=in_progress").get_data(as_text=True)
