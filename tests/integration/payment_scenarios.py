"""Drive a real PaymentIntent in the sandbox through a history of shopper and Stripe actions,
and collect the events it emitted (signed and delivered by the tests as Stripe would)."""

from __future__ import annotations

from contextlib import contextmanager

import requests
import stripe

from sandbox.patches import PROCESSING_CARD
from shop.providers.stripe_gateway import StripeGateway

from ..services import free_port
from ..shopper import CARD_3DS, CARD_DECLINED, CARD_OK, intent_id_from_secret

PAYMENT_EVENTS = ("processing", "requires_action", "amount_capturable_updated", "succeeded",
                  "payment_failed", "canceled")


class IntentDriver:
    def __init__(self, stripe_client: stripe.StripeClient, sandbox_url: str, secret: str):
        self.stripe = stripe_client
        self.url = sandbox_url
        self.secret = secret
        self.intent_id = intent_id_from_secret(secret)

    def run(self, action: str) -> None:
        getattr(self, action)()

    def _confirm(self, card: str, **params) -> None:
        method = self.stripe.v1.payment_methods.create(params={
            "type": "card",
            "card": {"number": card, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
        try:
            self.stripe.v1.payment_intents.confirm(self.intent_id, params={
                "payment_method": method.id, "return_url": "http://shop.test/", **params})
        except stripe.CardError:
            pass  # a decline: the intent is back to requires_payment_method

    def confirm_ok(self):
        self._confirm(CARD_OK)

    def confirm_ok_manual(self):
        self._confirm(CARD_OK, capture_method="manual")

    def confirm_declined(self):
        self._confirm(CARD_DECLINED)

    def confirm_3ds(self):
        self._confirm(CARD_3DS)

    def confirm_3ds_manual(self):
        self._confirm(CARD_3DS, capture_method="manual")

    def confirm_processing(self):
        self._confirm(PROCESSING_CARD)

    def confirm_processing_manual(self):
        self._confirm(PROCESSING_CARD, capture_method="manual")

    def _sandbox_post(self, path: str, data: dict, *, publishable: bool = False) -> None:
        sandbox_post(self.url, self.intent_id, path, data, publishable=publishable)

    def auth_ok(self):
        self._sandbox_post("_authenticate", {"key": "pk_test_sandbox", "success": "true",
                                             "client_secret": self.secret}, publishable=True)

    def auth_fail(self):
        self._sandbox_post("_authenticate", {"key": "pk_test_sandbox", "success": "false",
                                             "client_secret": self.secret}, publishable=True)

    def settle_ok(self):
        self._sandbox_post("_settle", {"success": "true"})

    def settle_fail(self):
        self._sandbox_post("_settle", {"success": "false"})

    def cancel(self):
        self.stripe.v1.payment_intents.cancel(self.intent_id)

    def capture(self):
        self.stripe.v1.payment_intents.capture(self.intent_id)

    def latest_event(self, short_type: str) -> dict | None:
        """The newest ``payment_intent.<short_type>`` event of this intent, as sent."""
        events = self.stripe.v1.events.list(params={"type": f"payment_intent.{short_type}",
                                                    "limit": 100})
        mine = [e for e in (event.to_dict() for event in events.data)
                if e["data"]["object"].get("id") == self.intent_id]
        return mine[0] if mine else None  # newest first


def sandbox_post(url: str, intent_id: str, path: str, data: dict, *,
                 publishable: bool = False) -> None:
    """One of the sandbox's test-only actions on an intent (``_settle``, ``_authenticate``)."""
    headers = {} if publishable else {"Authorization": "Bearer sk_test_sandbox"}
    response = requests.post(f"{url}/v1/payment_intents/{intent_id}/{path}",
                             data=data, headers=headers, timeout=10)
    response.raise_for_status()


@contextmanager
def stripe_unreachable(app):
    """The app's Stripe gateway pointed at a loopback port where nothing listens."""
    saved = app.extensions["stripe_gateway"]
    app.extensions["stripe_gateway"] = StripeGateway({
        **app.config, "STRIPE_API_BASE": f"http://127.0.0.1:{free_port()}",
        "STRIPE_MAX_NETWORK_RETRIES": 0})
    try:
        yield
    finally:
        app.extensions["stripe_gateway"] = saved
