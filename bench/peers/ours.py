"""Our side of the peer benchmark: the shop with the catalog benchmark's data, and one
checkout as a shopper and Stripe make it (cart, ``POST /checkout``, the card paid at the
loopback Stripe sandbox, the signed ``payment_intent.succeeded`` delivered to
``/webhooks/stripe``).
"""

from __future__ import annotations

import time

import stripe
from sqlalchemy import text

from bench.catalog import make_app
from bench.catalog_data import fill
from bench.shoppers import STOCK, Shopper, order_token
from bench.webhook_events import CARD, intent_ids, signed_delivery


def prepare(database_url: str, *, products: int) -> tuple[object, dict]:
    """Wipe the bench database and fill it as ``bench.catalog`` does; every product then
    gets enough stock that no checkout of the run sells out."""
    app = make_app(database_url)
    data = fill(app, products=products)
    from shop.extensions import db

    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE products SET stock_on_hand = :stock"), {"stock": STOCK})
            active = conn.execute(text("SELECT slug FROM products WHERE active "
                                       "ORDER BY id LIMIT 200")).scalars().all()
        db.engine.dispose()
    return app, {**data, "buyable": list(active)}


class Checkout:
    """One shopper: returns the seconds our server took for the two requests that make a
    paid order (the checkout POST and the paying webhook). The cart before them is filled
    through ``cart_base``, a second server of the shop on the same database and secret,
    so that the measured server's CPU is theirs alone; Stripe's work in between is done at
    the sandbox. Neither is in the latency; both are in the throughput."""

    def __init__(self, app, base: str, sandbox_url: str, slugs: list[str], offset: int, *,
                 cart_base: str):
        self.app = app
        self.base = base
        self.shopper = Shopper(cart_base)
        self.stripe = stripe.StripeClient("sk_test_sandbox",
                                          base_addresses={"api": sandbox_url})
        self.slugs = slugs
        self.turn = offset

    def __call__(self) -> float:
        self.turn += 1
        data = self.shopper.fill_cart(self.slugs[self.turn % len(self.slugs)])
        started = time.perf_counter()
        placed = self.shopper.http.post(f"{self.base}/checkout", data=data,
                                        allow_redirects=False, timeout=60)
        post_seconds = time.perf_counter() - started
        token = order_token(placed)
        if token is None:
            raise RuntimeError(f"checkout answered {placed.status_code}")
        intent_id = intent_ids(self.app, [token])[0]
        method = self.stripe.v1.payment_methods.create(params={"type": "card", "card": CARD})
        self.stripe.v1.payment_intents.confirm(intent_id, params={
            "payment_method": method.id, "return_url": "http://127.0.0.1/"})
        event = self._event(intent_id)
        delivery = signed_delivery(event)
        started = time.perf_counter()
        answer = self.shopper.http.post(f"{self.base}{delivery['path']}", data=delivery["body"],
                                        headers=delivery["headers"], timeout=60)
        webhook_seconds = time.perf_counter() - started
        if answer.status_code != 200:
            raise RuntimeError(f"webhook answered {answer.status_code}")
        return post_seconds + webhook_seconds

    def _event(self, intent_id: str) -> dict:
        for event in self.stripe.v1.events.list(params={"type": "payment_intent.succeeded",
                                                        "limit": 50}).data:
            if event.data.object.id == intent_id:
                return event.to_dict()
        raise RuntimeError(f"the sandbox logged no payment_intent.succeeded for {intent_id}")

    def close(self) -> None:
        self.shopper.http.close()


def paid_orders(app) -> int:
    from shop.extensions import db

    with app.app_context():
        count = db.session.execute(text("SELECT count(*) FROM orders WHERE status = 'paid' "
                                        "AND payment_status = 'paid'")).scalar_one()
        db.session.remove()
    return int(count)

