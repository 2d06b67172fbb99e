"""What the order pages say: steps, tracking links and payment error words (no app)."""

from datetime import UTC, datetime

import pytest

from shop.domain.carriers import carrier_name, tracking_link
from shop.models import Order, PaymentAttempt
from shop.orders.messages import (
    FALLBACK,
    GENERIC_DECLINE,
    NETWORK,
    THREE_D_SECURE,
    payment_error_message,
)
from shop.orders.presenter import describe, timeline

WHEN = datetime(2026, 3, 1, 12, tzinfo=UTC)


def order(**fields) -> Order:
    defaults = {"status": "pending", "payment_status": "unpaid", "email": "ada@example.com",
                "created_at": WHEN}
    return Order(**{**defaults, **fields})


def steps(o: Order) -> dict[str, bool]:
    return {step.key: step.done for step in timeline(o)}


@pytest.mark.parametrize("fields,expected", [
    ({}, {"placed": True, "paid": False, "fulfilling": False, "shipped": False,
          "delivered": False}),
    ({"status": "paid", "payment_status": "paid", "paid_at": WHEN},
     {"placed": True, "paid": True, "fulfilling": False, "shipped": False, "delivered": False}),
    ({"status": "shipped", "payment_status": "paid", "paid_at": WHEN},
     {"placed": True, "paid": True, "fulfilling": True, "shipped": True, "delivered": False}),
    ({"status": "delivered", "payment_status": "refunded", "paid_at": WHEN},
     {"placed": True, "paid": True, "fulfilling": True, "shipped": True, "delivered": True,
      "refunded": True}),
    ({"status": "canceled"}, {"placed": True, "canceled": True}),
    ({"status": "expired"}, {"placed": True, "expired": True}),
])
def test_timeline(fields, expected):
    assert steps(order(**fields)) == expected


def test_shipped_step_links_to_the_carrier():
    shipped = order(status="shipped", payment_status="paid", carrier="FedEx",
                    tracking_number="12 34/5", shipped_at=WHEN)
    step = next(s for s in timeline(shipped) if s.key == "shipped")
    assert step.detail == "With FedEx, tracking number 12 34/5"
    assert step.link == "https://www.fedex.com/fedextrack/?trknbr=12%2034%2F5"


@pytest.mark.parametrize("carrier,number,link,name", [
    ("UPS", "1Z9", "https://www.ups.com/track?tracknum=1Z9", "UPS"),
    (" royal mail ", "AB1", "https://www.royalmail.com/track-your-item#/tracking-results/AB1",
     "Royal Mail"),
    ("Local Courier", "77", None, "Local Courier"),
    ("ups", "", None, "UPS"),
])
def test_carrier_table(carrier, number, link, name):
    assert tracking_link(carrier, number) == link
    assert carrier_name(carrier) == name


@pytest.mark.parametrize("code,decline,expected", [
    ("card_declined", "insufficient_funds", "there are not enough funds on it"),
    ("insufficient_funds", None, "there are not enough funds on it"),  # as the attempt stores it
    ("card_declined", "stolen_card", GENERIC_DECLINE),  # never tell why a card was blocked
    ("card_declined", None, GENERIC_DECLINE),
    ("payment_intent_authentication_failure", None, THREE_D_SECURE),
    ("api_connection_error", None, NETWORK),
    ("something_new", None, FALLBACK),
    (None, None, FALLBACK),
])
def test_payment_error_words(code, decline, expected):
    assert expected in payment_error_message(code, decline)


def test_failed_payment_offers_another_card_in_plain_words():
    attempt = PaymentAttempt(last_error_code="payment_intent_authentication_failure")
    state = describe(order(payment_status="failed"), attempt)
    assert (state.headline, state.can_pay, state.error) == ("Payment failed", True,
                                                            THREE_D_SECURE)


def test_closed_unpaid_order_offers_to_rebuild_the_cart():
    state = describe(order(status="expired"), None)
    assert state.can_rebuild and not state.can_pay
    assert "Nothing was charged" in state.detail


def test_lapsed_reservation_cannot_be_paid():
    state = describe(order(), None, lapsed=True)
    assert (state.lapsed, state.can_pay) == (True, False)


def test_a_canceled_payment_is_never_offered_again():
    """After a staff void the PaymentIntent is canceled: Stripe would refuse to confirm it."""
    from shop.orders.presenter import PAYMENT_CANCELED

    attempt = PaymentAttempt(status="canceled", last_error_code=None)
    state = describe(order(), attempt)
    assert (state.headline, state.detail, state.can_pay) == \
        ("This payment was canceled", PAYMENT_CANCELED, False)
    assert describe(order(), PaymentAttempt(status="initiated")).can_pay is True
