"""Issue 20 items 2 and 9: the payments list filters by provider, the admin's order and
payment pages, the orders CSV and the shopper's status page name the method, and the
dashboard gives the success rate per provider."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from shop.extensions import db
from shop.models import Order, PaymentAttempt

from ..factories import make_product
from .helpers import make_order
from .test_dashboard_and_lists import card


def by_method(store, method: str, provider: str, *, status: str = "captured",
              intent: str | None = None, failures: int = 0) -> Order:
    order = make_order(store, attempt=status, intent=intent, hold=None,
                       product=make_product(store, price=1000, stock=50))
    order.payment_method = method
    attempt = db.session.scalar(select(PaymentAttempt).where(
        PaymentAttempt.order_id == order.id))
    attempt.provider, attempt.attempt_count = provider, failures
    db.session.commit()
    return order


def listed_orders(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/admin/orders/\d+">(\d+)</a></th>', html)


def test_the_payments_list_filters_by_provider_and_names_the_method(as_staff, store):
    card_order = by_method(store, "stripe", "stripe", intent="pi_card")
    cod = by_method(store, "cod", "cod", status="initiated")
    transfer = by_method(store, "bank_transfer", "bank_transfer", status="initiated")
    everything = as_staff.get("/admin/payments").get_data(as_text=True)
    assert set(listed_orders(everything)) == {f"{o.id:06d}" for o in (card_order, cod,
                                                                        transfer)}
    assert '<td class="method">Cash on delivery</td>' in everything
    assert '<td class="method">Card</td>' in everything
    only_cod = as_staff.get("/admin/payments?provider=cod").get_data(as_text=True)
    assert listed_orders(only_cod) == [f"{cod.id:06d}"]
    assert '<option value="cod" selected>Cash on delivery</option>' in only_cod
    stripe_only = as_staff.get("/admin/payments?provider=stripe").get_data(as_text=True)
    assert listed_orders(stripe_only) == [f"{card_order.id:06d}"]
    # An unknown provider is no filter (as an unknown status is).
    unknown = as_staff.get("/admin/payments?provider=bitcoin").get_data(as_text=True)
    assert len(listed_orders(unknown)) == 3


def test_the_order_and_payment_pages_name_the_method(as_staff, store):
    order = by_method(store, "stripe_checkout", "stripe", intent="pi_hosted")
    html = as_staff.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert '<dd id="payment-method">Card on Stripe&#39;s secure page</dd>' in html
    assert "<dt>Provider</dt><dd>Stripe</dd>" in html
    attempt_id = db.session.scalar(select(PaymentAttempt.id).where(
        PaymentAttempt.order_id == order.id))
    detail = as_staff.get(f"/admin/payments/{attempt_id}").get_data(as_text=True)
    assert "Card on Stripe&#39;s secure page (Stripe)" in detail


def test_the_orders_csv_has_the_payment_method(as_staff, store):
    by_method(store, "cod", "cod", status="initiated")
    by_method(store, "stripe", "stripe")
    body = as_staff.get("/admin/orders/export.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["payment_method"] for r in rows] == ["stripe", "cod"]  # newest first
    header = body.splitlines()[0].split(",")
    assert header.index("payment_method") == header.index("payment_status") + 1


def test_the_dashboard_gives_the_success_rate_per_provider(as_staff, store):
    by_method(store, "stripe", "stripe", failures=1)  # one decline, then paid: 50 %
    by_method(store, "paystack", "paystack")
    by_method(store, "paystack", "paystack", status="failed")  # abandoned: 50 %
    by_method(store, "cod", "cod", status="initiated")  # not finished: no rate yet
    html = as_staff.get("/admin/").get_data(as_text=True)
    assert card(html, "Payment success (7 days)") == "50.0 %"  # 2 of 4 finished tries
    assert card(html, "Payment success, Stripe (7 days)") == "50.0 %"
    assert card(html, "Payment success, Paystack (7 days)") == "50.0 %"
    assert card(html, "Payment success, Cash on delivery (7 days)") == "–"


def test_one_provider_shows_one_rate(as_staff, store):
    by_method(store, "stripe", "stripe")
    html = as_staff.get("/admin/").get_data(as_text=True)
    assert card(html, "Payment success (7 days)") == "100.0 %"
    assert "Payment success, Stripe" not in html


def test_the_order_status_page_names_the_method(clean_app, store):
    order = by_method(store, "bank_transfer", "bank_transfer", status="initiated")
    html = clean_app.test_client().get(f"/orders/{order.token}").get_data(as_text=True)
    assert '<dt>Payment method</dt><dd id="payment-method">Bank transfer</dd>' in html
