"""The card-testing guard: count declined payments per session and per address.

Someone testing stolen cards runs many payments that fail. Each failure settling records
(browser return or webhook, counted once) is hit against the order's address and session
in the rate-limit storage; while either is over its limit the pages that create a
PaymentIntent answer 429. The counters are best effort: if the storage is down, payments
go on (Stripe Radar still screens them) and a warning is logged.
"""

from __future__ import annotations

import logging
import math
import time

from flask import current_app
from limits import parse_many

from ...extensions import db, limiter
from ...models import Cart, Order
from ..checkout.client_keys import ip_hash

log = logging.getLogger(__name__)

SCOPE = "card-testing"


def _keys(client_ip_hash: str | None, session_key: str | None) -> list[tuple[str, str]]:
    # The address as the order keeps it: its keyed hash (services/checkout/client_keys.py).
    keys = []
    if client_ip_hash:
        keys.append(("CARD_TESTING_PER_IP", f"ip:{client_ip_hash}"))
    if session_key:
        keys.append(("CARD_TESTING_PER_SESSION", session_key))
    return keys


def _strategy():
    if not limiter.enabled or not limiter.initialized:
        return None
    return limiter.limiter


def record_failed_payment(*, order_id: int) -> None:
    """Count a declined payment of ``order_id`` (call after the failure is committed)."""
    order = db.session.get(Order, order_id)
    strategy = _strategy()
    if order is None or strategy is None:
        return
    cart = db.session.get(Cart, order.cart_id) if order.cart_id else None
    session_key = f"cart:{cart.token}" if cart else None
    try:
        for setting, key in _keys(order.client_ip_hash, session_key):
            for item in parse_many(current_app.config[setting]):
                strategy.hit(item, "shop", SCOPE, key)
    except Exception:
        log.warning("rate-limit storage unreachable: card-testing counter not updated",
                    extra={"order_id": order_id}, exc_info=True)


def retry_after(*, client_ip: str | None, session_key: str | None) -> int | None:
    """Seconds until this session and address may pay again, or None if they may now."""
    strategy = _strategy()
    if strategy is None:
        return None
    wait = 0.0
    try:
        for setting, key in _keys(ip_hash(client_ip), session_key):
            for item in parse_many(current_app.config[setting]):
                if not strategy.test(item, "shop", SCOPE, key):
                    reset_at = strategy.get_window_stats(item, "shop", SCOPE, key).reset_time
                    wait = max(wait, reset_at - time.time())
    except Exception:
        log.warning("rate-limit storage unreachable: card-testing guard skipped",
                    exc_info=True)
        return None
    return max(1, math.ceil(wait)) if wait > 0 else None
