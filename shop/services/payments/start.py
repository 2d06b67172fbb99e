"""Where a placed order goes next, by the way the shopper chose to pay.

Each method's module registers one function here: it takes the placed order (committed,
outside any transaction), makes or finds its payment at the provider (idempotent: a repeated
post or a reload leads to the same session) and returns the URL to send the shopper to, a
hosted page or the order's own page with instructions. A starter that cannot reach its
provider raises ``GatewayError``; the checkout then sends the shopper to the pay page, which
tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import url_for

from .errors import GatewayError

if TYPE_CHECKING:
    from ..checkout.place import PlacedOrder

log = logging.getLogger(__name__)

Starter = Callable[["PlacedOrder"], str]


def _element(placed: PlacedOrder) -> str:
    """The Payment Element: the PaymentIntent through the Stripe provider, then the pay page
    that mounts it. A failed creation is recorded and the pay page creates it again (the
    attempt's idempotency key: the same intent)."""
    from .settle import create_payment_intent, ensure_payment_intent

    try:
        if placed.intent is not None:
            create_payment_intent(placed.intent)
        else:
            ensure_payment_intent(order_id=placed.order_id)
    except GatewayError:
        log.warning("PaymentIntent creation failed", exc_info=True,
                    extra={"order_id": placed.order_id})
    return url_for("orders.pay", token=placed.token)


def _stripe_checkout(placed: PlacedOrder) -> str:
    from .hosted_checkout import checkout_url  # imported when used: it imports the checkout's

    return checkout_url(order_id=placed.order_id)


def _offline(placed: PlacedOrder) -> str:
    from .offline import start_offline

    return start_offline(placed)


def _redirect(placed: PlacedOrder) -> str:
    from .redirect import start_placed  # imports the providers' registry only when used

    return start_placed(placed)


STARTERS: dict[str, Starter] = {
    "stripe": _element,
    "stripe_checkout": _stripe_checkout,
    "paystack": _redirect,
    "flutterwave": _redirect,
    "cod": _offline,  # services/payments/offline.py: the order's page says what to do
    "bank_transfer": _offline,
}


def start_payment(placed: PlacedOrder) -> str:
    """The URL the shopper is sent to after placing ``placed``."""
    return STARTERS[placed.payment_method](placed)
