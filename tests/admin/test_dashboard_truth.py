"""Issue 22 item 3: the dashboard's success rate counts every failed try, money reads as
money everywhere in the admin, and a payment's table is its history."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from shop.extensions import db
from shop.models import PaymentAttempt, StaffAlert
from shop.models.types import utcnow
from shop.services.platform.audit import record_change
from shop.services.platform.tx import write_transaction

from ..factories import make_product
from ..payments import make_order as checkout_order
from ..payments import pay
from .helpers import make_order, paid_order
from .test_dashboard_and_lists import card


def attempt_with(store, product, status: str, failures: int = 0, **fields) -> PaymentAttempt:
    order = make_order(store, product=product, attempt=status, hold=None)
    attempt = db.session.scalar(select(PaymentAttempt).where(
        PaymentAttempt.order_id == order.id))
    attempt.attempt_count = failures
    for name, value in fields.items():
        setattr(attempt, name, value)
    db.session.commit()
    return attempt


def test_success_rate_counts_declines_failed_3ds_and_abandoned_attempts(as_staff, store):
    product = make_product(store, price=1000, stock=100)
    attempt_with(store, product, "captured", failures=2)  # two declines, then paid
    attempt_with(store, product, "captured")
    attempt_with(store, product, "authorized")
    attempt_with(store, product, "initiated", failures=1)  # failed 3-D Secure, still open
    attempt_with(store, product, "canceled")  # abandoned: the hold ran out
    attempt_with(store, product, "failed")
    attempt_with(store, product, "authorizing")  # in progress: not finished, not counted
    # Authorized, then voided by staff: the payment itself went through.
    attempt_with(store, product, "canceled", capture_before=utcnow() + timedelta(days=6))
    # Older than the 7 days: not counted.
    attempt_with(store, product, "failed", failures=3, created_at=utcnow() - timedelta(days=8))
    html = as_staff.get("/admin/").get_data(as_text=True)
    # 4 succeeded of 4 + 3 failed tries + 2 abandoned = 9 finished tries.
    assert card(html, "Payment success (7 days)") == "44.4 %"


def test_a_decline_then_a_payment_shows_as_history(as_staff, store, stripe_client):
    product = make_product(store, price=1180, stock=10)
    order = checkout_order(store, product, capture_method="automatic")
    declined = pay(stripe_client, order, card="pm_card_visa_chargeDeclinedInsufficientFunds")
    assert declined.status == "initiated"
    attempt = pay(stripe_client, order)
    assert (attempt.status, attempt.attempt_count) == ("captured", 1)

    html = as_staff.get(f"/admin/payments/{attempt.id}").get_data(as_text=True)
    table = re.search(r'<table class="data payment-history".*?</table>', html, re.S).group(0)
    rows = re.findall(r"<tr><td>.*?</tr>", table, re.S)
    whats = [re.sub(r"<[^>]+>", "", re.findall(r"<td>(.*?)</td>", row, re.S)[1]).strip()
             for row in rows]
    assert whats.index("declined") < whats.index("captured")
    assert "insufficient_funds" in rows[whats.index("declined")]
    assert "Last error" not in html

    listing = as_staff.get("/admin/payments").get_data(as_text=True)
    assert "after 1 failed try" in listing
    assert "insufficient_funds" not in listing  # not beside "captured" as if current
    order_page = as_staff.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert f'id="payment-history-{attempt.id}"' in order_page
    # One failed try, one success: the dashboard says 50 %, not 100 %.
    assert card(as_staff.get("/admin/").get_data(as_text=True),
                "Payment success (7 days)") == "50.0 %"


def test_the_timeline_and_alerts_show_money_in_the_shops_format(clean_app, as_staff, store):
    order = paid_order(store)
    with write_transaction() as session:
        record_change(session, store_id=store.id, entity_type="order", entity_id=order.id,
                      action="refund_requested", from_state=None, to_state="pending",
                      actor="staff:owner@example.com", reason="1180 USD: the parcel was late")
        session.add(StaffAlert(store_id=store.id, kind="refund_failed", order_id=order.id,
                               message="Refund re_1 of 1180 USD failed at the bank."))
    html = as_staff.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    timeline = html[html.index('id="timeline-heading"'):]
    assert "$11.80: the parcel was late" in timeline
    assert "1180 USD" not in html
    assert "Refund re_1 of $11.80 failed" in as_staff.get("/admin/alerts").get_data(as_text=True)

    clean_app.config["SHOP_LOCALE"] = "de_DE"
    try:
        german = as_staff.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    finally:
        clean_app.config["SHOP_LOCALE"] = "en_US"
    assert "11,80\xa0$: the parcel was late" in german


def test_run_periodic_only_evaluate_alerts(clean_app, store):
    product = make_product(store, price=1000, stock=5)
    order = make_order(store, product=product, attempt="authorizing", hold=None)
    attempt = db.session.scalar(select(PaymentAttempt).where(
        PaymentAttempt.order_id == order.id))
    attempt.updated_at = utcnow() - timedelta(minutes=30)
    db.session.commit()
    result = clean_app.test_cli_runner().invoke(
        args=["shop", "run-periodic", "--only", "evaluate_alerts"])
    assert result.exit_code == 0, result.output
    assert "evaluate_alerts: {'stores': 1, 'opened': 1, 'resolved': 0}" in result.output
    listed = clean_app.test_cli_runner().invoke(args=["shop", "alerts"])
    assert "payment_stuck_authorizing" in listed.output
