"""``/account/payments``: every payment attempt and refund of the shopper's own orders, with
status and date filters, pages with a real total, and clear messages for bad filters."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from shop.extensions import db
from shop.models import Order, PaymentAttempt, PaymentHistoryEntry, PaymentTransaction
from shop.models.types import utcnow
from shop.services.payments.history import follow_orders
from shop.services.refunds.refunds import refund_payment

from ..factories import PASSWORD, make_user
from ..payments import captured, make_order, pay
from ..shopper import login


def mine(order_id: int, user) -> None:
    """Give a guest order to ``user``: its row and its history entries, as a claim does."""
    db.session.execute(update(Order).where(Order.id == order_id).values(user_id=user.id))
    follow_orders(db.session, order_ids=[order_id], user_id=user.id)
    db.session.commit()


def rows(html: str) -> int:
    return html.count('<tr>') - 1  # the header row


def test_history_lists_payments_and_refunds_of_my_orders_only(
        clean_app, store, product, stripe_client):
    ada, bob = make_user("ada@example.com"), make_user("bob@example.com")
    paid = captured(store, product, stripe_client)
    refund_payment(attempt_id=paid.id, amount=700, actor="staff:owner@example.com")
    declined = pay(stripe_client, make_order(store, product, capture_method="automatic"),
                   card="pm_card_visa_chargeDeclined")
    for attempt in (paid, declined):
        mine(attempt.order_id, ada)
    mine(captured(store, product, stripe_client).order_id, bob)
    client = clean_app.test_client()
    login(client, ada.email, PASSWORD)
    html = client.get("/account/payments").get_data(as_text=True)
    assert "3 payments and refunds found." in html
    assert "Visa ending in 4242" in html and "Back to Visa ending in 4242" in html
    assert "Refunded" in html and "Failed" in html and "Paid" in html
    assert f'href="/account/orders/{paid.order_id}"' in html
    assert f"/account/orders/{bob.id}" not in html or rows(html) == 3
    assert 'aria-current="page">Payments' in html

    refunded = client.get("/account/payments?status=refunded").get_data(as_text=True)
    assert "1 payment and refund found." in refunded and "−$7.00" in refunded
    failed = client.get("/account/payments?status=failed").get_data(as_text=True)
    assert rows(failed) == 1 and "Failed or declined" in failed


def test_date_range_and_pages_with_a_real_total(clean_app, store, product, limits):
    ada = make_user("ada@example.com")
    limits(ACCOUNT_ORDERS_PER_PAGE=2)
    now = utcnow()
    for days_ago in (0, 1, 2, 10, 40):
        order = make_order(store, product, capture_method="automatic")
        mine(order.id, ada)
        db.session.execute(update(PaymentAttempt).where(PaymentAttempt.order_id == order.id)
                           .values(created_at=now - timedelta(days=days_ago)))
        db.session.execute(update(PaymentHistoryEntry)  # its copy of the date
                           .where(PaymentHistoryEntry.order_id == order.id)
                           .values(at=now - timedelta(days=days_ago)))
    db.session.commit()
    client = clean_app.test_client()
    login(client, ada.email, PASSWORD)
    first = client.get("/account/payments").get_data(as_text=True)
    assert "5 payments and refunds found." in first and "Page 1 of 3" in first
    last = client.get("/account/payments?page=3").get_data(as_text=True)
    assert rows(last) == 1 and "Page 3 of 3" in last
    past = client.get("/account/payments?page=99").get_data(as_text=True)
    assert rows(past) == 1 and "Page 3 of 3" in past and "5 payments" in past
    since = (now - timedelta(days=5)).date().isoformat()
    ranged = client.get(f"/account/payments?date_from={since}&date_to={now.date().isoformat()}"
                        "&status=in_progress").get_data(as_text=True)
    assert "3 payments and refunds found." in ranged and "Page 1 of 2" in ranged
    assert "date_from=" in ranged  # the pages keep the filter
    old = (now - timedelta(days=40)).date().isoformat()
    one_day = client.get(f"/account/payments?date_from={old}&date_to={old}")
    assert "1 payment and refund found." in one_day.get_data(as_text=True)


def test_bad_filters_say_why_and_list_nothing(clean_app, store, product):
    ada = make_user("ada@example.com")
    mine(make_order(store, product).id, ada)
    client = clean_app.test_client()
    login(client, ada.email, PASSWORD)
    for query, message in (
            ("status=bogus", "Choose one of the statuses in the list."),
            ("date_from=2026-13-45", "Not a valid date value."),
            ("date_from=2026-05-02&date_to=2026-05-01",
             "The end date must be on or after the start date."),
            ("date_to=0001-01-01", "Enter a date between 1970 and 9000.")):
        response = client.get(f"/account/payments?{query}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200, query
        assert message in html and 'aria-invalid="true"' in html, query
        assert "found." not in html and "The filter could not be applied" in html
    assert client.get("/account/payments?page=0").status_code == 400


def test_guests_are_sent_to_sign_in(client):
    response = client.get("/account/payments")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_refund_rows_belong_to_the_history(store, product, stripe_client):
    """The service itself: a refund row is listed with its own status and date."""
    from shop.services.payments.history import payment_history

    ada = make_user("ada@example.com")
    attempt = captured(store, product, stripe_client)
    mine(attempt.order_id, ada)
    refund_payment(attempt_id=attempt.id, actor="staff:owner@example.com")
    page = payment_history(user_id=ada.id, store_id=store.id, page=1, per_page=10)
    assert page.total == 2
    assert sorted((r.kind, r.status, r.amount) for r in page.rows) == [
        ("payment", "paid", 1650), ("refund", "refunded", 1650)]
    assert db.session.query(PaymentTransaction).count() >= 3
