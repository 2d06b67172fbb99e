"""Refunds from the admin: reviewed then confirmed; by amount or by lines (priced on the
server), restocked once; the refund e-mail queued once; refusals in plain words with nothing
changed; and the shopper's pages showing the money given back."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import Order, OrderLine, PaymentTransaction, Product, StockAdjustment
from shop.services.payments.reconciliation import run_reconciliation

from ..factories import make_product
from ..shopper import clear_outbox, outbox
from .helpers import field_error, post
from .money import (
    RefundPage,
    attempt_of,
    audit_rows,
    count,
    flash_message,
    fresh,
    ledger,
    outbox_jobs,
    paid_checkout,
    refund_calls,
    refunds_at_stripe,
    reviewed_amount,
    sent,
    top_error,
)


@pytest.fixture
def beans(store):
    return make_product(store, name="Kenya Nyeri", price=1650, stock=10)


@pytest.fixture
def grinder(store):
    return make_product(store, name="Hand Grinder", price=1200, stock=5)


@pytest.fixture
def mailbox(clean_app):
    clear_outbox(clean_app)
    return lambda: outbox(clean_app)


@pytest.fixture
def order(clean_app, stripe_client, stripe_sandbox, beans, grinder):
    """2 × $16.50 + 1 × $12.00, $5.00 shipping, 7.25 % tax on goods and shipping: $53.63."""
    paid = paid_checkout(clean_app, stripe_client, stripe_sandbox.url,
                         [(beans, 2), (grinder, 1)])
    assert (paid.subtotal, paid.shipping, paid.tax, paid.total) == (4500, 500, 363, 5363)
    return paid


def lines_of(order: Order) -> dict[str, int]:
    return {line.name: line.id for line in db.session.scalars(
        select(OrderLine).where(OrderLine.order_id == order.id))}


def stock(product) -> int:
    return fresh(Product, product.id).stock_on_hand


class TestByAmount:
    def test_partial_refund(self, clean_app, as_staff, order, stripe_client, stripe_sandbox,
                            mailbox):
        attempt = attempt_of(order)
        page = RefundPage(as_staff, attempt.id)
        calls = refund_calls(stripe_sandbox)
        reviewed = page.review(how="amount", amount="5.00", note="bag torn")
        html = reviewed.get_data(as_text=True)
        assert reviewed.status_code == 200
        assert "Refund $5.00 to the customer's card?" in html
        assert reviewed_amount(html) == 500
        assert refund_calls(stripe_sandbox) == calls  # a review asks Stripe nothing
        assert ledger(attempt.id, "refund") == []

        response = page.refund(how="amount", amount="5.00", note="bag torn")
        assert response.status_code == 303
        assert refund_calls(stripe_sandbox) == calls + 1
        assert refunds_at_stripe(stripe_client, attempt.provider_reference)[0][:2] == \
            (500, "succeeded")
        assert ledger(attempt.id, "refund") == [("refund", "succeeded", 500,
                                                 "staff:staff@example.com")]
        assert fresh(Order, order.id).payment_status == "partially_refunded"
        assert ("order", "payment_status_change", "paid", "partially_refunded",
                "staff:staff@example.com") in audit_rows(entity_id=order.id,
                                                         entity_type="order")
        detail = as_staff.get(f"/admin/orders/{order.id}").get_data(as_text=True)
        assert flash_message(detail) == "Refunded $5.00."
        assert 'id="money-refunded">$5.00<' in detail
        assert 'id="money-refundable">$48.63<' in detail
        # One e-mail through the outbox, once, linking back to the order.
        [job] = outbox_jobs("send_refund_email")
        refund_ref = db.session.scalar(select(PaymentTransaction.provider_reference).where(
            PaymentTransaction.kind == "refund"))
        assert job == {"order_id": order.id, "refund_ref": refund_ref, "amount": 500}
        assert sent(order.id, "refund:%") == [f"refund:{refund_ref}"]
        [mail] = [m for m in mailbox() if m["Subject"].startswith("Refund for your order")]
        assert "We have refunded $5.00" in mail.get_body(("plain",)).get_content()
        assert f"/orders/{order.token}" in mail.get_body(("plain",)).get_content()
        # The shopper sees the money given back.
        status = clean_app.test_client().get(f"/orders/{order.token}").get_data(as_text=True)
        assert '<dd id="refunded-amount">$5.00</dd>' in status

    def test_refunding_everything_left(self, as_staff, order, stripe_client):
        attempt = attempt_of(order)
        response = RefundPage(as_staff, attempt.id).refund(how="full")
        assert response.status_code == 303
        assert ledger(attempt.id, "refund") == [("refund", "succeeded", 5363,
                                                 "staff:staff@example.com")]
        assert fresh(Order, order.id).payment_status == "refunded"
        assert as_staff.get(f"/admin/payments/{attempt.id}/refund").get_data(
            as_text=True).count("Nothing is left to refund on this payment.") == 1

    def test_without_the_confirmation_nothing_is_refunded(self, as_staff, order,
                                                          stripe_sandbox):
        attempt = attempt_of(order)
        before = refund_calls(stripe_sandbox)
        response = RefundPage(as_staff, attempt.id).refund(how="amount", amount="5.00",
                                                           confirm=False)
        assert response.status_code == 400
        assert field_error(response.get_data(as_text=True), "confirm") == \
            "Tick the box to confirm the amount, or go back to the order."
        plain = post(as_staff, f"/admin/payments/{attempt.id}/refund",
                     {"how": "full", "reason": "duplicate", "confirm": "y"})
        assert plain.status_code == 200  # no reviewed amount: it is only a review
        assert refund_calls(stripe_sandbox) == before
        assert ledger(attempt.id, "refund") == []
        assert fresh(Order, order.id).payment_status == "paid"

    def test_above_what_is_left_is_refused_and_nothing_changes(self, as_staff, order,
                                                               stripe_sandbox):
        attempt = attempt_of(order)
        page = RefundPage(as_staff, attempt.id)
        assert page.refund(how="amount", amount="50.00").status_code == 303
        before = refund_calls(stripe_sandbox)
        response = page.review(how="amount", amount="5.00")
        assert response.status_code == 422
        assert top_error(response.get_data(as_text=True)) == (
            "That is more than is left to refund: $5.00 asked, only $3.63 of this payment "
            "can still be refunded.")
        # Even with a forged confirmation of that amount.
        forged = page.refund(how="amount", amount="5.00", expected=500)
        assert forged.status_code == 422
        assert refund_calls(stripe_sandbox) == before
        assert ledger(attempt.id, "refund") == [("refund", "succeeded", 5000,
                                                 "staff:staff@example.com")]
        assert outbox_jobs("send_refund_email") and len(outbox_jobs("send_refund_email")) == 1

    @pytest.mark.parametrize("amount,message", [
        ("", "Enter the amount to refund."),
        ("0.00", "Enter an amount above zero."),
        ("-5", "Enter an amount of 0 or more."),
        ("5.001", "Use at most 2 decimals."),
    ])
    def test_a_bad_amount_is_refused_beside_the_field(self, as_staff, order, stripe_sandbox,
                                                      amount, message):
        attempt = attempt_of(order)
        before = refund_calls(stripe_sandbox)
        page = RefundPage(as_staff, attempt.id)
        for response in (page.review(how="amount", amount=amount),
                         page.refund(how="amount", amount=amount, expected=500)):
            assert response.status_code == 400
            assert field_error(response.get_data(as_text=True), "amount") == message
        assert refund_calls(stripe_sandbox) == before and ledger(attempt.id) == \
            ledger(attempt.id, "auth") + ledger(attempt.id, "capture")

    def test_a_changed_amount_must_be_confirmed_again(self, as_staff, order, stripe_sandbox):
        attempt = attempt_of(order)
        before = refund_calls(stripe_sandbox)
        response = RefundPage(as_staff, attempt.id).refund(how="amount", amount="7.00",
                                                           expected=500)
        assert response.status_code == 409
        html = response.get_data(as_text=True)
        assert top_error(html).startswith("The refund now comes to $7.00, not the $5.00 you "
                                          "confirmed")
        assert reviewed_amount(html) == 700
        confirm_box = re.search(r'<input[^>]*name="confirm"[^>]*>', html).group(0)
        assert "checked" not in confirm_box  # the new amount is confirmed afresh
        assert refund_calls(stripe_sandbox) == before

    def test_a_stripe_refusal_is_shown_and_the_claim_released(self, as_staff, order,
                                                              stripe_client, stripe_sandbox):
        attempt = attempt_of(order)
        stripe_client.v1.refunds.create(params={"payment_intent": attempt.provider_reference})
        response = RefundPage(as_staff, attempt.id).refund(how="amount", amount="5.00")
        assert response.status_code == 502
        message = top_error(response.get_data(as_text=True))
        assert message.startswith("Stripe refused: ") and message.endswith(
            "Nothing was refunded.")
        assert ledger(attempt.id, "refund") == [("refund", "failed", 500,
                                                 "staff:staff@example.com")]
        assert fresh(Order, order.id).payment_status == "paid"
        assert outbox_jobs("send_refund_email") == []


class TestByLines:
    def test_the_amount_is_computed_on_the_server_and_restocked_once(
            self, clean_app, as_staff, order, beans, grinder, stripe_client):
        attempt = attempt_of(order)
        ids = lines_of(order)
        page = RefundPage(as_staff, attempt.id)
        assert (stock(beans), stock(grinder)) == (8, 4)
        fields = {"how": "lines", f"qty_{ids['Kenya Nyeri']}": "1",
                  f"qty_{ids['Hand Grinder']}": "0", "restock": "y",
                  "amount": "0.01"}  # a browser-sent amount is ignored for lines
        reviewed = page.review(**fields)
        html = reviewed.get_data(as_text=True)
        assert reviewed_amount(html) == 1770  # $16.50 + 7.25 % tax, no shipping yet
        assert "Items: $16.50" in html and "Tax: $1.20" in html and "Shipping" not in html
        assert page.refund(expected=1770, **fields).status_code == 303
        assert refunds_at_stripe(stripe_client, attempt.provider_reference)[0][:2] == \
            (1770, "succeeded")
        assert stock(beans) == 9
        [adjustment] = db.session.scalars(select(StockAdjustment)).all()
        assert (adjustment.delta, adjustment.actor) == (1, "staff:staff@example.com")
        assert adjustment.reason.startswith("Refund re_") and order.number in adjustment.reason
        assert ("product", "stock_adjusted", "8", "9", "staff:staff@example.com") in \
            audit_rows(entity_type="product", entity_id=beans.id)

        # Reconciliation, a replayed refund webhook or a cancel never put it back again.
        run_reconciliation(trigger="test")
        cancel = post(as_staff, f"/admin/orders/{order.id}/cancel", {"confirm": "y"})
        assert cancel.status_code == 303
        assert (stock(beans), stock(grinder)) == (10, 5)  # 1 + 1 beans, 1 grinder: once each
        assert count(StockAdjustment) == 3

        # The rest, by lines: shipping and the last of the tax come back with the last units.
        rest = {"how": "lines", f"qty_{ids['Kenya Nyeri']}": "1",
                f"qty_{ids['Hand Grinder']}": "1"}
        reviewed = page.review(**rest)
        assert reviewed_amount(reviewed.get_data(as_text=True)) == 3593
        assert page.refund(**rest).status_code == 303
        assert sum(row[2] for row in ledger(attempt.id, "refund")) == order.total
        assert fresh(Order, order.id).payment_status == "refunded"
        assert (stock(beans), stock(grinder)) == (10, 5)  # not restocked: not asked
        assert len(outbox_jobs("send_refund_email")) == 2

    def test_cannot_refund_more_units_than_left(self, as_staff, order, stripe_sandbox):
        attempt = attempt_of(order)
        ids = lines_of(order)
        page = RefundPage(as_staff, attempt.id)
        assert page.refund(how="lines", **{f"qty_{ids['Hand Grinder']}": "1"}).status_code == 303
        before = refund_calls(stripe_sandbox)
        again = page.refund(how="lines", expected=1287, **{f"qty_{ids['Hand Grinder']}": "1"})
        assert again.status_code == 400
        assert field_error(again.get_data(as_text=True), f"qty_{ids['Hand Grinder']}") == \
            "Refund at most 0 of Hand Grinder."
        too_many = page.review(how="lines", **{f"qty_{ids['Kenya Nyeri']}": "3"})
        assert too_many.status_code == 400
        assert field_error(too_many.get_data(as_text=True), f"qty_{ids['Kenya Nyeri']}") == \
            "Refund at most 2 of Kenya Nyeri."
        none = page.review(how="lines")
        assert none.status_code == 400
        assert "Enter how many of at least one item to refund." in none.get_data(as_text=True)
        assert refund_calls(stripe_sandbox) == before

    def test_restock_refused_when_the_stock_is_already_back(self, as_staff, order, beans,
                                                            stripe_sandbox):
        attempt = attempt_of(order)
        ids = lines_of(order)
        assert post(as_staff, f"/admin/orders/{order.id}/cancel",
                    {"confirm": "y"}).status_code == 303
        assert stock(beans) == 10
        before = refund_calls(stripe_sandbox)
        response = RefundPage(as_staff, attempt.id).review(
            how="lines", restock="y", **{f"qty_{ids['Kenya Nyeri']}": "1"})
        assert response.status_code == 422
        assert top_error(response.get_data(as_text=True)).startswith(
            "Kenya Nyeri cannot be put back in stock: this order's units are already back")
        assert refund_calls(stripe_sandbox) == before and stock(beans) == 10


def test_a_refund_through_the_api_queues_one_email(clean_app, store, owner, order):
    from ..payments import Api

    api = Api.staff(clean_app, owner)
    attempt = attempt_of(order)
    response = api.post("/refund", {"attempt_id": attempt.id, "amount": 300})
    assert response.status_code == 200, response.get_json()
    again = api.post("/refund", {"attempt_id": attempt.id, "amount": 200})
    assert again.status_code == 200
    refs = [job["refund_ref"] for job in outbox_jobs("send_refund_email")]
    assert len(refs) == len(set(refs)) == 2
    assert sorted(sent(order.id, "refund:%")) == sorted(f"refund:{ref}" for ref in refs)


def test_the_shoppers_account_page_shows_the_refunded_amount(clean_app, as_owner, order):
    from ..factories import PASSWORD, make_user
    from ..shopper import login

    shopper = make_user("ada@example.com")
    db.session.get(Order, order.id).user_id = shopper.id
    db.session.commit()
    assert RefundPage(as_owner, attempt_of(order).id).refund(
        how="amount", amount="7.25").status_code == 303
    client = clean_app.test_client()
    assert login(client, "ada@example.com", PASSWORD).status_code == 303
    page = client.get(f"/account/orders/{order.id}").get_data(as_text=True)
    assert 'Refunded to your card: <strong id="refunded-amount">$7.25</strong>' in page
    assert "Part of your order was refunded" in page
