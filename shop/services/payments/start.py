"""Where a placed order goes next, by the way the shopper chose to pay.

Each method's module registers one function here: it takes the placed order (committed,
outside any transaction), makes or finds its payment at the provider (idempotent: a repeated
post or a reload leads to the same session) and returns the URL to send the shopper to, a
hosted page or the order's own page with instructions. The Payment Element ("stripe") is
started by the checkout view itself, as before, and is not in this table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..checkout.place import PlacedOrder

Starter = Callable[["PlacedOrder"], str]

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
    "stripe_checkout": _stripe_checkout,
    "paystack": _redirect,
    "flutterwave": _redirect,
    "cod": _offline,  # services/payments/offline.py: the order's page says what to do
    "bank_transfer": _offline,
}


def start_payment(placed: PlacedOrder) -> str:
    """The URL the shopper is sent to after placing ``placed``."""
    return STARTERS[placed.payment_method](placed)
