"""The dashboard's figures, the webhook events page and the payments page."""

from __future__ import annotations

import re
from datetime import timedelta

from shop.extensions import db
from shop.models import PaymentAttempt, StripeEvent
from shop.models.types import utcnow

from ..factories import make_product
from .helpers import make_order, paid_order


def card(html: str, label: str) -> str:
    match = re.search(rf'{re.escape(label)}</span><span class="card-value">([^<]+)<', html)
    assert match, label
    return match.group(1)


def test_dashboard_figures(as_staff, store, other_store):
    now = utcnow()
    product = make_product(store, price=2000, stock=50)
    paid_order(store, product=product)  # $25.00 today
    paid_order(store, product=product, quantity=2, payment_status="disputed")  # $45.00
    failed_at = now - timedelta(hours=3)  # older than an hour: counted as not paid
    make_order(store, product=product, created_at=failed_at,
               attempt="failed", payment_status="failed")
    make_order(store, product=product, attempt="authorizing", quantity=3)  # active hold
    stuck = make_order(store, product=product, attempt="authorizing", hold=None)
    attempt = db.session.query(PaymentAttempt).filter_by(order_id=stuck.id).one()
    attempt.updated_at = now - timedelta(minutes=20)
    paid_order(store, product=product, attention="Paid, out of stock: grinder")
    db.session.add(StripeEvent(id="evt_failed", type="payment_intent.succeeded",
                               outcome="failed", received_at=now))
    paid_order(other_store, product=make_product(other_store, price=99999))
    db.session.commit()
    html = as_staff.get("/admin/").get_data(as_text=True)
    # Today is the UTC day: before 03:00 UTC the failed order was placed yesterday.
    assert card(html, "Orders today") == str(5 + (failed_at.date() == now.date()))
    assert card(html, "Revenue today") == "$95.00"
    assert card(html, "Payments stuck over 15 min") == "1"
    assert card(html, "Disputed orders") == "1"
    assert card(html, "Paid, out of stock") == "1"
    assert card(html, "Stock on hold now") == "2"
    # 3 captured of 4 finished attempts; the one order older than an hour was not paid.
    assert card(html, "Payment success (7 days)") == "75.0 %"
    assert card(html, "Checkouts not paid (7 days)") == "100.0 %"
    # Staff see failures of their store's intents only; this event matches no store.
    assert card(html, "Failed webhooks to replay") == "0"


def test_only_platform_admins_count_events_that_match_no_store(clean_app, as_owner, owner,
                                                                store):
    from shop.services.accounts.users import set_platform_admin

    db.session.add(StripeEvent(id="evt_x", type="charge.refunded", outcome="failed",
                               received_at=utcnow()))
    db.session.commit()
    assert card(as_owner.get("/admin/").get_data(as_text=True),
                "Failed webhooks to replay") == "0"
    set_platform_admin(email=owner.email, granted=True, actor="test")
    assert card(as_owner.get("/admin/").get_data(as_text=True),
                "Failed webhooks to replay") == "1"


def test_the_revenue_chart_is_described_and_has_a_table(as_staff, store):
    paid_order(store, product=make_product(store, price=1500))
    html = as_staff.get("/admin/").get_data(as_text=True)
    assert '<svg viewBox="0 0 640 220" role="img" aria-labelledby="chart-title chart-desc"' \
        in html
    assert re.search(r'<desc id="chart-desc">Total \$20\.00\. Best day \w{3} \d\d with '
                     r'\$20\.00\.', html)
    assert html.count('class="chart-bar"') == 1
    today = utcnow().strftime("%a %b %d")
    assert f'<th scope="row">{today}</th><td class="num">$20.00</td>' in html


def test_webhook_events_are_scoped_to_the_store(as_staff, as_owner, owner, store,
                                                other_store):
    mine = make_order(store, attempt="captured", intent="pi_mine")
    make_order(other_store, attempt="captured", intent="pi_theirs")
    db.session.add_all([
        StripeEvent(id="evt_mine", type="payment_intent.succeeded", outcome="processed",
                    payment_intent_id="pi_mine"),
        StripeEvent(id="evt_theirs", type="payment_intent.succeeded", outcome="processed",
                    payment_intent_id="pi_theirs"),
        StripeEvent(id="evt_nobody", type="customer.created", outcome="ignored"),
    ])
    db.session.commit()
    staff_page = as_staff.get("/admin/webhooks").get_data(as_text=True)
    assert "evt_mine" in staff_page and f'/admin/orders/{mine.id}"' in staff_page
    assert "evt_theirs" not in staff_page and "evt_nobody" not in staff_page
    owner_page = as_owner.get("/admin/webhooks").get_data(as_text=True)
    assert "evt_mine" in owner_page
    assert "evt_nobody" not in owner_page and "evt_theirs" not in owner_page
    # Events of no store are the platform's: its admins see them, never another store's.
    from shop.services.accounts.users import set_platform_admin

    set_platform_admin(email=owner.email, granted=True, actor="test")
    admin_page = as_owner.get("/admin/webhooks").get_data(as_text=True)
    assert "evt_nobody" in admin_page and "evt_theirs" not in admin_page
    filtered = as_owner.get("/admin/webhooks?outcome=ignored").get_data(as_text=True)
    assert "evt_nobody" in filtered and "evt_mine" not in filtered


def test_payments_page_filters_and_search(as_staff, store, other_store):
    make_order(store, attempt="captured", intent="pi_aaa", email="ada@example.com")
    make_order(store, attempt="failed", intent="pi_bbb", email="bob@example.com")
    make_order(other_store, attempt="captured", intent="pi_other")
    html = as_staff.get("/admin/payments").get_data(as_text=True)
    assert "pi_aaa" in html and "pi_bbb" in html and "pi_other" not in html
    failed = as_staff.get("/admin/payments?status=failed").get_data(as_text=True)
    assert "pi_bbb" in failed and "pi_aaa" not in failed
    assert "pi_aaa" in as_staff.get("/admin/payments?q=pi_aaa").get_data(as_text=True)
    by_email = as_staff.get("/admin/payments?q=bob@example.com").get_data(as_text=True)
    assert "pi_bbb" in by_email and "pi_aaa" not in by_email
