"""The order page's ledger, capture and void from the admin: each action's effect, what
Stripe was really asked (the sandbox's request log), the audit row, and what a refusal or a
missing confirmation leaves unchanged."""

from __future__ import annotations

import pytest

from shop.models import Order, PaymentAttempt, Product

from ..factories import make_product
from ..shopper import clear_outbox, outbox
from .helpers import field_error, make_order
from .money import (
    at_stripe,
    attempt_of,
    audit_rows,
    captures_at_stripe,
    flash_message,
    fresh,
    in_three_d_secure,
    ledger,
    paid_checkout,
    top_error,
)

pytestmark = pytest.mark.usefixtures("clean_app")


@pytest.fixture
def beans(store):
    return make_product(store, name="Kenya Nyeri", price=1650, stock=10)


@pytest.fixture
def authorized_order(clean_app, stripe_client, stripe_sandbox, beans):
    return paid_checkout(clean_app, stripe_client, stripe_sandbox.url, [(beans, 2)],
                         manual=True)


@pytest.fixture
def mailbox(clean_app):
    clear_outbox(clean_app)
    return lambda: outbox(clean_app)


@pytest.fixture
def paid(clean_app, stripe_client, stripe_sandbox, beans):
    return paid_checkout(clean_app, stripe_client, stripe_sandbox.url, [(beans, 1)])


def confirm_post(client, url: str, **data):
    from .helpers import csrf

    return client.post(url, data={"csrf_token": csrf(client, url), **data})


def test_the_order_page_shows_each_transaction_and_the_ledger(as_staff, paid):
    attempt = attempt_of(paid)
    html = as_staff.get(f"/admin/orders/{paid.id}").get_data(as_text=True)
    assert html.count('<th scope="row">AUTH</th>') == 1
    assert html.count('<th scope="row">CAPTURE</th>') == 1
    charge = ledger(attempt.id)[0]
    assert charge[:3] == ("auth", "succeeded", paid.total)
    assert f'id="money-captured">${paid.total / 100:.2f}<' in html
    assert 'id="money-refunded">$0.00<' in html
    assert f'id="money-refundable">${paid.total / 100:.2f}<' in html
    assert "<code>ch_" in html  # Stripe's charge reference on the AUTH and CAPTURE rows
    assert f"shopper:{paid.email}" in html  # who: the return from Stripe settled it
    assert "Refund…" in html and "Capture payment…" not in html


class TestCapture:
    def test_the_page_offers_the_full_amount(self, as_staff, authorized_order):
        attempt = attempt_of(authorized_order)
        page = as_staff.get(f"/admin/payments/{attempt.id}/capture").get_data(as_text=True)
        assert f'value="{authorized_order.total / 100:.2f}"' in page
        assert 'name="confirm"' in page

    def test_without_the_confirmation_nothing_is_captured(self, as_staff, authorized_order,
                                                          stripe_sandbox):
        attempt = attempt_of(authorized_order)
        response = confirm_post(as_staff, f"/admin/payments/{attempt.id}/capture", amount="1.00")
        assert response.status_code == 400
        assert field_error(response.get_data(as_text=True), "confirm") == \
            "Tick the box to confirm, or go back to the order."
        assert fresh(PaymentAttempt, attempt.id).status == "authorized"
        assert captures_at_stripe(stripe_sandbox, attempt.provider_reference) == []
        assert ledger(attempt.id, "capture") == []

    def test_capture_less_than_authorized(self, as_staff, authorized_order, stripe_sandbox,
                                          stripe_client, beans):
        attempt = attempt_of(authorized_order)
        response = confirm_post(as_staff, f"/admin/payments/{attempt.id}/capture",
                                amount="20.00", confirm="y")
        assert response.status_code == 303
        assert response.headers["Location"] == f"/admin/orders/{authorized_order.id}"
        assert len(captures_at_stripe(stripe_sandbox, attempt.provider_reference)) == 1
        intent = stripe_client.v1.payment_intents.retrieve(attempt.provider_reference)
        assert (intent.status, intent.amount_received) == ("succeeded", 2000)
        assert ledger(attempt.id, "capture") == [("capture", "succeeded", 2000,
                                                  "staff:staff@example.com")]
        order = fresh(Order, authorized_order.id)
        assert (order.status, order.payment_status) == ("paid", "paid")
        assert ("payment_attempt", "payment_state_change", "authorized", "captured",
                "staff:staff@example.com") in audit_rows(entity_id=attempt.id,
                                                         entity_type="payment_attempt")
        page = as_staff.get(f"/admin/orders/{order.id}").get_data(as_text=True)
        assert flash_message(page) == "Captured $20.00."
        assert 'id="money-captured">$20.00<' in page

    def test_capture_twice_captures_once(self, as_staff, authorized_order, stripe_sandbox):
        attempt = attempt_of(authorized_order)
        url = f"/admin/payments/{attempt.id}/capture"
        assert confirm_post(as_staff, url, confirm="y", amount="40.76").status_code == 303
        again = confirm_post(as_staff, url, confirm="y", amount="40.76")
        assert again.status_code == 409
        assert top_error(again.get_data(as_text=True)) == \
            "This payment is captured, so it cannot be captured."
        assert len(captures_at_stripe(stripe_sandbox, attempt.provider_reference)) == 1
        assert ledger(attempt.id, "capture") == [
            ("capture", "succeeded", authorized_order.total, "staff:staff@example.com")]

    @pytest.mark.parametrize("amount,message", [
        ("99.00", "You can capture at most $40.76."),
        ("0", "Enter an amount above zero, or void the payment instead."),
        ("12,5", "Enter an amount like 12.50."),
        ("", "Enter the amount to capture."),
    ])
    def test_a_bad_amount_is_refused_beside_the_field(self, as_staff, authorized_order,
                                                      stripe_sandbox, amount, message):
        attempt = attempt_of(authorized_order)
        assert authorized_order.total == 4076  # 2 × $16.50 + $5.00 shipping, 7.25 % tax on both
        response = confirm_post(as_staff, f"/admin/payments/{attempt.id}/capture",
                                amount=amount, confirm="y")
        assert response.status_code == 400
        assert field_error(response.get_data(as_text=True), "amount") == message
        assert captures_at_stripe(stripe_sandbox, attempt.provider_reference) == []

    def test_a_stripe_refusal_is_shown_in_plain_words(self, as_staff, authorized_order,
                                                      stripe_client):
        attempt = attempt_of(authorized_order)
        stripe_client.v1.payment_intents.cancel(attempt.provider_reference)  # from Stripe
        response = confirm_post(as_staff, f"/admin/payments/{attempt.id}/capture", confirm="y",
                                amount="40.76")
        assert response.status_code == 502
        message = top_error(response.get_data(as_text=True))
        assert message.startswith("Stripe refused: ") and message.endswith(
            "Nothing was captured.")
        assert [row[:2] for row in ledger(attempt.id)] == [
            ("auth", "succeeded"), ("capture", "failed"), ("void", "succeeded")]


class TestVoid:
    def test_void_releases_the_authorization(self, clean_app, as_staff, authorized_order,
                                             stripe_client, stripe_sandbox, beans, mailbox):
        attempt = attempt_of(authorized_order)
        url = f"/admin/payments/{attempt.id}/void"
        assert "is not charged" in as_staff.get(url).get_data(as_text=True)
        response = confirm_post(as_staff, url, confirm="y", reason="customer changed mind")
        assert response.status_code == 303
        cancels = at_stripe(stripe_sandbox, "POST",
                            f"/v1/payment_intents/{attempt.provider_reference}/cancel")
        assert len(cancels) == 1
        assert stripe_client.v1.payment_intents.retrieve(
            attempt.provider_reference).status == "canceled"
        assert ledger(attempt.id, "void") == [("void", "succeeded", authorized_order.total,
                                               "staff:staff@example.com")]
        # With nothing left to pay it with, the unpaid order is closed and its stock freed.
        order = fresh(Order, authorized_order.id)
        assert (order.status, order.payment_status) == ("canceled", "unpaid")
        assert ("payment_attempt", "payment_state_change", "authorized", "canceled",
                "staff:staff@example.com") in audit_rows(entity_id=attempt.id,
                                                         entity_type="payment_attempt")
        assert fresh(Product, beans.id).stock_on_hand == 10
        shopper = clean_app.test_client()
        page = shopper.get(f"/orders/{order.token}").get_data(as_text=True)
        assert "This order was canceled" in page and "Pay now" not in page
        mail = [m for m in mailbox() if m["Subject"] == f"Your order {order.number} was canceled"]
        assert len(mail) == 1
        assert "We have canceled your order" in mail[0].get_body(("plain",)).get_content()

    def test_a_voided_payment_is_never_offered_to_the_shopper_again(self, clean_app, as_staff,
                                                                    store):
        # Its PaymentIntent was never created (Stripe was away at checkout): the void closes
        # the attempt without Stripe and the order stays open for staff to decide.
        order = make_order(store, attempt="initiated")
        attempt = attempt_of(order)
        response = confirm_post(as_staff, f"/admin/payments/{attempt.id}/void", confirm="y")
        assert response.status_code == 303
        assert fresh(PaymentAttempt, attempt.id).status == "canceled"
        shopper = clean_app.test_client()
        page = shopper.get(f"/orders/{order.token}").get_data(as_text=True)
        assert "This payment was canceled" in page and "Pay now" not in page
        assert shopper.get(f"/orders/{order.token}/status.json").get_json()["can_pay"] is False
        pay = shopper.get(f"/orders/{order.token}/pay")
        assert pay.status_code == 303 and pay.headers["Location"] == f"/orders/{order.token}"
        assert fresh(PaymentAttempt, attempt.id).provider_reference is None

    def test_without_the_confirmation_nothing_is_voided(self, as_staff, authorized_order,
                                                        stripe_client):
        attempt = attempt_of(authorized_order)
        response = confirm_post(as_staff, f"/admin/payments/{attempt.id}/void")
        assert response.status_code == 400
        assert fresh(PaymentAttempt, attempt.id).status == "authorized"
        assert stripe_client.v1.payment_intents.retrieve(
            attempt.provider_reference).status == "requires_capture"

    def test_a_captured_payment_cannot_be_voided(self, as_staff, paid):
        attempt = attempt_of(paid)
        page = as_staff.get(f"/admin/payments/{attempt.id}/void").get_data(as_text=True)
        assert "it cannot be voided. Refund it instead." in page
        response = confirm_post(as_staff, f"/admin/payments/{attempt.id}/void", confirm="y")
        assert response.status_code == 409
        assert top_error(response.get_data(as_text=True)) == \
            "This payment is captured, so it cannot be voided."


    def test_a_payment_still_authorizing_cannot_be_voided(self, clean_app, as_staff, beans,
                                                          stripe_client, stripe_sandbox):
        """The shopper is in 3-D Secure: AUTHORIZING is not a valid state for void. The page
        says so, the POST is a 409, nothing changes and Stripe is never asked to cancel."""
        order = in_three_d_secure(clean_app, stripe_client, stripe_sandbox.url, beans)
        attempt = attempt_of(order)
        assert attempt.status == "authorizing"
        detail = as_staff.get(f"/admin/orders/{order.id}").get_data(as_text=True)
        assert "Void payment…" not in detail
        url = f"/admin/payments/{attempt.id}/void"
        page = as_staff.get(url).get_data(as_text=True)
        assert "This payment is authorizing: it cannot be voided." in page
        response = confirm_post(as_staff, url, confirm="y", reason="changed mind")
        assert response.status_code == 409
        assert top_error(response.get_data(as_text=True)) == \
            "This payment is authorizing, so it cannot be voided."
        assert at_stripe(stripe_sandbox, "POST",
                         f"/v1/payment_intents/{attempt.provider_reference}/cancel") == []
        assert stripe_client.v1.payment_intents.retrieve(
            attempt.provider_reference).status == "requires_action"
        assert fresh(PaymentAttempt, attempt.id).status == "authorizing"
        assert ledger(attempt.id, "void") == []
        kept = fresh(Order, order.id)
        assert (kept.status, kept.payment_status) == ("pending", "processing")
        assert audit_rows(entity_id=attempt.id, entity_type="payment_attempt")[-1][3] == \
            "authorizing"


def test_another_stores_payment_is_a_404(as_outsider, paid):
    from .helpers import post

    attempt = attempt_of(paid)
    for path in ("", "/capture", "/void", "/refund"):
        assert as_outsider.get(f"/admin/payments/{attempt.id}{path}").status_code == 404
        assert post(as_outsider, f"/admin/payments/{attempt.id}{path or '/capture'}",
                    {"confirm": "y", "reason": "duplicate", "how": "full"}).status_code == 404
    assert ledger(attempt.id, "refund") == []
