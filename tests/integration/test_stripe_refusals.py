"""A permanent refusal from Stripe is not an outage: the shopper is told payment cannot be
taken now, the order stays payable, the attempt records Stripe's code, and staff get one
``stripe_refused`` alert with Stripe's message. Nothing is retried by itself."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import select

from shop.extensions import db
from shop.models import Order, PaymentAttempt, StaffAlert
from shop.providers.stripe_gateway import StripeGateway

from ..shopper import CARD_OK, Shopper


@contextmanager
def gateway_with(app, **config):
    saved = app.extensions["stripe_gateway"]
    app.extensions["stripe_gateway"] = StripeGateway({**app.config, **config})
    try:
        yield
    finally:
        app.extensions["stripe_gateway"] = saved


def open_alerts(kind: str) -> list[StaffAlert]:
    db.session.rollback()
    return list(db.session.scalars(select(StaffAlert).where(
        StaffAlert.kind == kind, StaffAlert.resolved_at.is_(None))))


def test_a_refused_payment_is_said_plainly_alerted_once_and_stays_payable(
        clean_app, client, product, browser):
    shopper = Shopper(client)
    # An owner turned on a method their Stripe account does not have: Stripe says no.
    with gateway_with(clean_app, STRIPE_PAYMENT_METHOD_TYPES=("klarna",)):
        shopper.add(product, 1)
        token = shopper.checkout()
        page = client.get(f"/orders/{token}/pay")
        assert page.status_code == 503
        text = page.get_data(as_text=True)
        assert "We cannot take payments right now" in text and "nothing was charged" in text
        assert "could not reach" not in text  # not an outage
        second = Shopper(clean_app.test_client())
        second.add(product, 1)
        assert second.client.get(f"/orders/{second.checkout()}/pay").status_code == 503

    [alert] = open_alerts("stripe_refused")
    assert "klarna" in alert.message and "payment_intent_invalid_parameter" in alert.message
    attempts = db.session.scalars(select(PaymentAttempt).order_by(PaymentAttempt.id)).all()
    assert {a.last_error_code for a in attempts} == {"payment_intent_invalid_parameter"}
    assert all(a.provider_reference is None and a.next_retry_at is None for a in attempts)
    order = db.session.scalar(select(Order).where(Order.token == token))
    assert (order.status, order.payment_status) == ("pending", "unpaid")

    # Fixed: the same order pays, with no new order and no new attempt.
    secret = shopper.client_secret(token)
    assert browser.confirm(secret, CARD_OK).status == "succeeded"
    shopper.return_from_stripe(token, secret.split("_secret_")[0])
    db.session.rollback()
    assert db.session.get(Order, order.id).payment_status == "paid"


def test_an_outage_is_not_a_refusal(clean_app, client, product):
    from .payment_scenarios import stripe_unreachable

    shopper = Shopper(client)
    shopper.add(product, 1)
    with stripe_unreachable(clean_app):
        token = shopper.checkout()
        page = client.get(f"/orders/{token}/pay")
    assert page.status_code == 503
    assert "could not reach the payment service" in page.get_data(as_text=True)
    assert open_alerts("stripe_refused") == []
    attempt = db.session.scalar(select(PaymentAttempt))
    assert attempt.next_retry_at is not None  # a network failure is retried later
