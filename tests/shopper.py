"""Act as the shopper, as the browser's Stripe.js, and as Stripe's webhook sender."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time

import requests
import stripe

from .conftest import WEBHOOK_SECRET

CARD_OK = "4242424242424242"
CARD_3DS = "4000002500003155"
CARD_DECLINED = "4000000000009995"
CARD_PROCESSING = "4000000000004954"  # the sandbox's slow bank (sandbox/patches.py)

# California: its 7.25 % state rate is the rate the suite's totals were written for.
ADDRESS = {
    "email": "ada@example.com", "name": "Ada Lovelace", "line1": "1 Analytical Way",
    "line2": "", "city": "Springfield", "region": "US-CA", "postal_code": "62701",
    "country": "US", "shipping_method": "standard",
}


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html)
    assert match, f"page has no {name}"
    return match.group(1)


def login(client, email: str, password: str, next_url: str = ""):
    """Sign in through the real login form (CSRF token and all)."""
    page = client.get("/account/login")
    return client.post("/account/login" + (f"?next={next_url}" if next_url else ""), data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "email": email,
        "password": password, "next": next_url})


def register(client, email: str, password: str, name: str = "Ada Lovelace",
             confirm: str | None = None):
    """Create an account through the real sign-up form."""
    page = client.get("/account/register")
    return client.post("/account/register", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "name": name, "email": email,
        "password": password, "confirm": password if confirm is None else confirm})


def post_form(client, page_url: str, action: str, **data):
    """GET ``page_url`` for its CSRF token, then POST ``data`` to ``action``."""
    page = client.get(page_url)
    return client.post(action, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                     **data})


def outbox(app) -> list:
    """The e-mails the app wrote to its file outbox, oldest first."""
    from email import policy
    from email.parser import BytesParser
    from pathlib import Path

    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    files = sorted(folder.glob("*.eml"), key=lambda f: f.stat().st_mtime_ns) \
        if folder.exists() else []
    return [BytesParser(policy=policy.default).parsebytes(f.read_bytes()) for f in files]


def clear_outbox(app) -> None:
    from pathlib import Path

    for f in Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"):
        f.unlink()


class Shopper:
    def __init__(self, client):
        self.client = client

    def add(self, product, quantity: int = 1):
        page = self.client.get(f"/products/{product.slug}")
        return self.client.post("/cart/add", data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "product_id": product.id, "quantity": quantity})

    def checkout_form(self) -> dict:
        page = self.client.get("/checkout")
        assert page.status_code == 200, page.status_code
        html = page.get_data(as_text=True)
        return {"csrf_token": csrf_token(html), "checkout_token": hidden(html, "checkout_token")}

    def submit_checkout(self, form: dict, **overrides):
        return self.client.post("/checkout", data={**form, **ADDRESS, **overrides})

    def checkout(self, **overrides) -> str:
        """Check out the cart; returns the order token."""
        response = self.submit_checkout(self.checkout_form(), **overrides)
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return order_token(response.headers["Location"])

    def client_secret(self, token: str) -> str:
        page = self.client.get(f"/orders/{token}/pay")
        assert page.status_code == 200, page.status_code
        match = re.search(r'data-client-secret="([^"]+)"', page.get_data(as_text=True))
        assert match
        return match.group(1)

    def return_from_stripe(self, token: str, intent_id: str):
        return self.client.get(
            f"/orders/{token}?payment_intent={intent_id}&redirect_status=succeeded")

    def status(self, token: str) -> dict:
        return self.client.get(f"/orders/{token}/status.json").get_json()


def order_token(location: str) -> str:
    match = re.search(r"/orders/([^/?]+)", location)
    assert match, location
    return match.group(1)


def intent_id_from_secret(client_secret: str) -> str:
    return client_secret.split("_secret_")[0]


class Browser:
    """What Stripe.js does in the browser: create a PaymentMethod, confirm, authenticate."""

    def __init__(self, stripe_client: stripe.StripeClient, sandbox_url: str):
        self.stripe = stripe_client
        self.url = sandbox_url

    def confirm(self, client_secret: str, card: str):
        intent_id = intent_id_from_secret(client_secret)
        method = self.stripe.v1.payment_methods.create(params={
            "type": "card",
            "card": {"number": card, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
        return self.stripe.v1.payment_intents.confirm(
            intent_id, params={"payment_method": method.id, "return_url": "http://x/"})

    def authenticate(self, client_secret: str, success: bool) -> dict:
        intent_id = intent_id_from_secret(client_secret)
        response = requests.post(
            f"{self.url}/v1/payment_intents/{intent_id}/_authenticate",
            data={"key": "pk_test_sandbox", "client_secret": client_secret,
                  "success": "true" if success else "false"}, timeout=10)
        response.raise_for_status()
        return response.json()


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def post_event(client, event: dict, **sign_args):
    payload = json.dumps(event).encode()
    return client.post("/webhooks/stripe", data=payload, content_type="application/json",
                       headers={"Stripe-Signature": sign(payload, **sign_args)})


def sandbox_events(stripe_client: stripe.StripeClient, intent_id: str, event_type: str) -> list:
    """The events the sandbox emitted for ``intent_id``, oldest first, as plain dicts."""
    events = stripe_client.v1.events.list(params={"type": event_type, "limit": 100})
    found = [e.to_dict() for e in events.data]
    found = [e for e in found if e["data"]["object"].get("id") == intent_id]
    return sorted(found, key=lambda e: e["created"])
