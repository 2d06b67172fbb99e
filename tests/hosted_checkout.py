"""Act as the shopper on Stripe's hosted Checkout page (the sandbox's stand-in, over HTTP)
and as Stripe sending its checkout.session.* events."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import stripe
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Order, PaymentAttempt, PaymentTransaction, SentEmail
from shop.models.receipt import RECEIPT, Receipt

from .shopper import ADDRESS, CARD_OK, csrf_token

HOSTED = "stripe_checkout"


def start_hosted(shopper, product, quantity: int = 2) -> tuple[str, str]:
    """Check out choosing Stripe's hosted page; returns (order token, the session's URL)."""
    shopper.add(product, quantity)
    form = shopper.checkout_form()
    response = shopper.client.post("/checkout", data={**form, **ADDRESS,
                                                      "payment_method": HOSTED})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    url = response.headers["Location"]
    assert "/checkout.stripe.com/c/pay/cs_test_" in url, url
    db.session.rollback()
    token = db.session.scalar(select(Order.token).order_by(Order.id.desc()).limit(1))
    return token, url


def pay_on_page(url: str, card: str = CARD_OK) -> httpx.Response:
    """Choose a test card and press Pay on the hosted page; the answer redirects back."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        page = browser.get(url)
        assert page.status_code == 200, page.text[:300]
        return browser.post(url, data={"card": card})


def session_id_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def come_back(client, location: str):
    """Follow Stripe's redirect to success_url or cancel_url, on the shop (the test client)."""
    parts = urlsplit(location)
    return client.get(f"{parts.path}?{parts.query}")


def session_events(stripe_client: stripe.StripeClient, session_id: str,
                   event_type: str) -> list[dict]:
    events = stripe_client.v1.events.list(params={"type": event_type, "limit": 100})
    found = [e.to_dict() for e in events.data]
    found = [e for e in found if e["data"]["object"].get("id") == session_id]
    return sorted(found, key=lambda e: e["created"])


def order_of(token: str) -> Order:
    db.session.rollback()
    return db.session.scalar(select(Order).where(Order.token == token))


def attempts_of(order_id: int) -> list[PaymentAttempt]:
    db.session.rollback()
    return list(db.session.scalars(select(PaymentAttempt).where(
        PaymentAttempt.order_id == order_id).order_by(PaymentAttempt.id)))


def effects(order_id: int) -> dict[str, int]:
    """What paying leaves behind, counted: one of each, however often it was reported."""
    db.session.rollback()

    def count(model, *where) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    return {
        "captures": count(PaymentTransaction, PaymentTransaction.kind == "capture",
                          PaymentTransaction.attempt_id.in_(
                              select(PaymentAttempt.id).where(
                                  PaymentAttempt.order_id == order_id))),
        "receipt_mails": count(SentEmail, SentEmail.order_id == order_id,
                               SentEmail.kind == "receipt"),
        "receipts": count(Receipt, Receipt.order_id == order_id, Receipt.kind == RECEIPT),
    }


def pay_page_form(client, token: str) -> dict:
    """The Payment Element page's hosted-Checkout fallback form."""
    html = client.get(f"/orders/{token}/pay").get_data(as_text=True)
    assert 'id="payment-fallback"' in html
    return {"csrf_token": csrf_token(html)}


