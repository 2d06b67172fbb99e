"""Every payment error a shopper may see, in plain words, in one table.

The server-rendered pages look messages up here, and the payment page's script receives the
same table as JSON (``client_messages``), so a decline reads the same wherever it shows.
Keys are Stripe error codes and decline codes. Lost/stolen/fraud reasons are deliberately
answered with the generic decline: telling a possible thief why helps no one.
"""

from __future__ import annotations

GENERIC_DECLINE = ("Your card was declined. Try another card, or ask your bank why the "
                   "payment was refused.")
THREE_D_SECURE = ("Your bank's security check (3-D Secure) was not completed, so nothing was "
                  "charged. Press Pay to try again, or use another card.")
NETWORK = ("We could not reach the payment service. Check your connection and press Pay "
           "again: it uses the same payment, so you will not be charged twice.")
RESERVATION_EXPIRED = ("We held your items for you for a limited time and that time has run "
                       "out, so nothing was charged. Please check your cart and check out "
                       "again.")
FALLBACK = "Your payment did not go through, and nothing was charged. Please try another card."

DECLINE_REASONS = {
    "insufficient_funds": "Your card was declined: there are not enough funds on it. "
                          "Try another card.",
    "card_velocity_exceeded": "Your card was declined: it has reached its spending limit. "
                              "Try another card.",
    "withdrawal_count_limit_exceeded": "Your card was declined: it has reached its spending "
                                       "limit. Try another card.",
    "expired_card": "Your card has expired. Try another card.",
    "incorrect_cvc": "The security code (CVC) is not right. Check it and try again.",
    "invalid_cvc": "The security code (CVC) is not right. Check it and try again.",
    "incorrect_number": "The card number is not right. Check it and try again.",
    "invalid_number": "The card number is not right. Check it and try again.",
    "incorrect_zip": "The postal code does not match your card. Check it and try again.",
    "card_not_supported": "This card cannot be used for this purchase. Try another card.",
    "currency_not_supported": "This card cannot pay in this currency. Try another card.",
    "processing_error": "Your bank could not process the payment just now. Please try again "
                        "in a moment.",
    "try_again_later": "Your bank could not process the payment just now. Please try again "
                       "in a moment.",
    "lost_card": GENERIC_DECLINE,
    "stolen_card": GENERIC_DECLINE,
    "fraudulent": GENERIC_DECLINE,
    "pickup_card": GENERIC_DECLINE,
    "do_not_honor": GENERIC_DECLINE,
    "generic_decline": GENERIC_DECLINE,
}

ERROR_CODES = {
    "card_declined": GENERIC_DECLINE,
    "expired_card": DECLINE_REASONS["expired_card"],
    "incorrect_cvc": DECLINE_REASONS["incorrect_cvc"],
    "invalid_cvc": DECLINE_REASONS["incorrect_cvc"],
    "incorrect_number": DECLINE_REASONS["incorrect_number"],
    "invalid_number": DECLINE_REASONS["incorrect_number"],
    "invalid_expiry_month": "The expiry date is not right. Check it and try again.",
    "invalid_expiry_year": "The expiry date is not right. Check it and try again.",
    "processing_error": DECLINE_REASONS["processing_error"],
    "payment_intent_authentication_failure": THREE_D_SECURE,
    "authentication_required": THREE_D_SECURE,
    "api_connection_error": NETWORK,
    "rate_limit": NETWORK,
}


def payment_error_message(code: str | None, decline_code: str | None = None) -> str:
    """The shopper's words for a Stripe error: the decline reason where it helps."""
    for key, table in ((decline_code, DECLINE_REASONS), (code, DECLINE_REASONS),
                       (code, ERROR_CODES)):
        if key and key in table:
            return table[key]
    return FALLBACK


def client_messages() -> dict:
    """The same table for ``static/js/payment.js``."""
    return {"declines": DECLINE_REASONS, "codes": ERROR_CODES, "network": NETWORK,
            "fallback": FALLBACK, "expired": RESERVATION_EXPIRED}
