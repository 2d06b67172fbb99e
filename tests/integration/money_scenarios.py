"""Drive the refunds and disputes of a paid order at the sandbox (as Stripe's dashboard and the
card holder's bank would), and collect the events they emitted, to be signed and posted."""

from __future__ import annotations

from dataclasses import dataclass

import requests
import stripe

from ..shopper import CARD_OK, Browser, Shopper, intent_id_from_secret

# Stripe's test card whose refunds stay pending until the bank settles them.
PENDING_REFUND_CARD = "4000000000007726"
SECRET = {"Authorization": "Bearer sk_test_sandbox"}


@dataclass
class PaidOrder:
    token: str
    intent_id: str
    order_id: int


def pay(app, stripe_client, sandbox_url: str, product, *, card: str = CARD_OK,
        quantity: int = 2) -> PaidOrder:
    """A shopper checks out and pays; the return from Stripe settles it (no webhook)."""
    from sqlalchemy import select

    from shop.extensions import db
    from shop.models import Order

    shopper = Shopper(app.test_client())
    shopper.add(product, quantity)
    token = shopper.checkout()
    secret = shopper.client_secret(token)
    Browser(stripe_client, sandbox_url).confirm(secret, card)
    intent_id = intent_id_from_secret(secret)
    assert shopper.return_from_stripe(token, intent_id).status_code == 303
    order_id = db.session.scalar(select(Order.id).where(Order.token == token))
    return PaidOrder(token, intent_id, order_id)


class MoneyDriver:
    """Refunds and disputes of one PaymentIntent, made at the sandbox."""

    def __init__(self, stripe_client: stripe.StripeClient, sandbox_url: str, intent_id: str):
        self.stripe = stripe_client
        self.url = sandbox_url
        self.intent_id = intent_id
        self.refund_id: str | None = None
        self.dispute_id: str | None = None

    def run(self, action: str) -> None:
        name, _, argument = action.partition(":")
        getattr(self, name)(*([argument] if argument else []))

    def _post(self, path: str, data: dict | None = None) -> dict:
        response = requests.post(f"{self.url}{path}", data=data or {}, headers=SECRET,
                                 timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def refund(self, amount: str = "") -> None:
        """A refund made in Stripe's dashboard (the shop did not ask for it)."""
        params = {"payment_intent": self.intent_id, "reason": "requested_by_customer"}
        if amount:
            params["amount"] = int(amount)
        self.refund_id = self.stripe.v1.refunds.create(params=params).id

    def settle_refund(self) -> None:
        self._post(f"/v1/refunds/{self.refund_id}/_settle", {"success": "true"})

    def fail_refund(self) -> None:
        self._post(f"/v1/refunds/{self.refund_id}/_fail", {"failure_reason": "lost_or_stolen_card"})

    def dispute(self, amount: str = "") -> None:
        charge = self.stripe.v1.payment_intents.retrieve(self.intent_id).latest_charge
        params = {"reason": "product_not_received", **({"amount": amount} if amount else {})}
        self.dispute_id = self._post(f"/v1/charges/{charge}/_dispute", params)["id"]

    def close_dispute(self, status: str) -> None:
        self._post(f"/v1/disputes/{self.dispute_id}/_close", {"status": status})

    def latest_event(self, event_type: str) -> dict | None:
        """The newest event of this type about this intent (its charge, refund or dispute)."""
        events = self.stripe.v1.events.list(params={"type": event_type, "limit": 100})
        for event in (e.to_dict() for e in events.data):  # newest first
            obj = event["data"]["object"]
            if self.intent_id in (obj.get("payment_intent"), obj.get("id")):
                return event
        return None
