"""Changes to localstripe's resource classes so their objects look and fail like Stripe's."""

from __future__ import annotations

import contextvars
import datetime as dt
from typing import Any, NamedTuple

from localstripe import resources, webhooks
from localstripe.resources import Charge, Event, PaymentIntent, PaymentMethod, StripeObject, store

from .contract import API_VERSION
from .errors import StripeError, invalid

# Set by the request middleware so that events can say which request caused them.
CURRENT_REQUEST: contextvars.ContextVar[tuple[str | None, str | None]] = contextvars.ContextVar(
    "stripe_sandbox_request", default=(None, None))


class Decline(NamedTuple):
    code: str
    decline_code: str
    message: str
    param: str | None = None


# How long Stripe keeps an uncaptured card authorization (online card payments: 7 days).
AUTHORIZATION_SECONDS = 7 * 24 * 3600

_DECLINED = "Your card was declined."
_NO_FUNDS = "Your card has insufficient funds."
# Stripe's test cards: https://docs.stripe.com/testing#declined-payments
DECLINES: dict[str, Decline] = {
    "4000000000000002": Decline("card_declined", "generic_decline", _DECLINED),
    "4000000000009995": Decline("card_declined", "insufficient_funds", _NO_FUNDS),
    "4000000000009987": Decline("card_declined", "lost_card", _DECLINED),
    "4000000000009979": Decline("card_declined", "stolen_card", _DECLINED),
    "4000000000000069": Decline("expired_card", "expired_card", "Your card has expired.",
                                "exp_month"),
    "4000000000000127": Decline("incorrect_cvc", "incorrect_cvc",
                                "Your card's security code is incorrect.", "cvc"),
    "4000000000000119": Decline("processing_error", "processing_error",
                                "An error occurred while processing your card. "
                                "Try again in a little bit."),
    # Attach fine, decline when charged (the last two after 3-D Secure).
    "4000000000000341": Decline("card_declined", "generic_decline", _DECLINED),
    "4000008260003178": Decline("card_declined", "insufficient_funds", _NO_FUNDS),
    "4000008400001629": Decline("card_declined", "generic_decline", _DECLINED),
}

# Sandbox-only (no such card at Stripe): the intent stays ``processing`` until the test
# settles it with POST /v1/payment_intents/{id}/_settle, like a slow bank transfer.
PROCESSING_CARD = "4000000000004954"

# Stripe's server-side test PaymentMethods, so that code can confirm without a browser.
TEST_PAYMENT_METHODS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_visa_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_visa_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_visa_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_authenticationRequired": "4000002500003155",
    "pm_card_threeDSecure2Required": "4000000000003220",
}


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number.startswith(("6011", "65")):
        return "discover"
    return "unknown"


def card_number(pm_id: str | None) -> str | None:
    obj = store.get("payment_method:" + pm_id) if pm_id else None
    return getattr(obj, "_card_number", None)


def decline_for(pm_id: str | None) -> Decline:
    return DECLINES.get(card_number(pm_id) or "", DECLINES["4000000000000002"])


def new_card_payment_method(number: str, exp_month: int, exp_year: int, cvc: str,
                            billing_details: dict | None = None,
                            metadata: dict | None = None) -> PaymentMethod:
    pm = PaymentMethod(type="card", billing_details=billing_details, metadata=metadata,
                       card={"number": number, "exp_month": exp_month, "exp_year": exp_year,
                             "cvc": cvc})
    pm.card["brand"] = card_brand(number)
    pm.card["checks"] = {"cvc_check": "pass", "address_line1_check": None,
                         "address_postal_code_check": None}
    return pm


# --- localstripe replacements --------------------------------------------------------------

def _retrieve(cls, id):
    obj = store.get(cls.object + ":" + id)
    if obj is None:
        raise invalid(f"No such {cls.object}: '{id}'", status=404, code="resource_missing",
                      param="id")
    return obj


def _test_payment_method(cls, id):
    number = TEST_PAYMENT_METHODS.get(id)
    if number is None:
        return None
    year = dt.datetime.now(dt.UTC).year + 3
    return new_card_payment_method(number, 12, year, "123")


_orig_charging_is_declined = PaymentMethod._charging_is_declined


def _charging_is_declined(self):
    if getattr(self, "type", None) == "card" and self._card_number in DECLINES:
        return True
    return _orig_charging_is_declined(self)


def _set_auth_failure(self):
    decline = decline_for(self.payment_method)
    self.status = "failed"
    self.failure_code = decline.code
    self.failure_message = decline.message
    self._decline_code = decline.decline_code


def card_error_fields(charge: Charge) -> dict[str, Any]:
    decline = decline_for(charge.payment_method)
    return {
        "code": charge.failure_code,
        "decline_code": getattr(charge, "_decline_code", None),
        "message": charge.failure_message,
        "charge": charge.id,
        "param": decline.param,
        "doc_url": "https://stripe.com/docs/error-codes/" + charge.failure_code.replace("_", "-"),
    }


def _raise_charge_failure(self):
    fields = card_error_fields(self)
    raise StripeError(402, "card_error", fields.pop("message"), **fields)


def _charge_outcome(self):
    if self.status == "failed":
        return {"network_status": "declined_by_network",
                "reason": getattr(self, "_decline_code", None), "risk_level": "normal",
                "seller_message": "The bank did not return any further details with this decline.",
                "type": "issuer_declined"}
    if self.status == "succeeded":
        return {"network_status": "approved_by_network", "reason": None, "risk_level": "normal",
                "seller_message": "Payment complete.", "type": "authorized"}
    return None


def _charge_amount_captured(self):
    if not (self.captured and self.status == "succeeded"):
        return 0
    return getattr(self, "_amount_captured", self.amount)


def _charge_payment_method_details(self):
    pm = store.get("payment_method:" + self.payment_method) if self.payment_method else None
    if pm is None or pm.type != "card":
        return None
    card = {k: pm.card.get(k) for k in ("brand", "last4", "exp_month", "exp_year", "country",
                                        "fingerprint", "funding", "checks")}
    card["network"] = card["brand"]
    # Like Stripe: an uncaptured card authorization says until when it can be captured.
    if self.status == "succeeded" and not self.captured:
        card["capture_before"] = self.created + AUTHORIZATION_SECONDS
    return {"type": "card", "card": card}


def _pi_amount_capturable(self):
    return self.amount if self.status == "requires_capture" else 0


def _pi_amount_received(self):
    charge = self.latest_charge
    return charge.amount_captured if charge is not None and charge.paid else 0


_orig_last_payment_error = PaymentIntent.last_payment_error


def _pi_last_payment_error(self):
    if hasattr(self, "_sandbox_error"):
        return self._sandbox_error
    return _orig_last_payment_error.fget(self)


_orig_pi_export = PaymentIntent._export


def _pi_export(self, expand=None):
    obj = _orig_pi_export(self, expand=expand)
    obj.pop("charges", None)  # removed from the API in 2022-11-15
    # Stripe sends latest_charge as an id unless it was expanded.
    expanded = {path.split(".")[0] for path in expand or []}
    if isinstance(obj.get("latest_charge"), dict) and "latest_charge" not in expanded:
        obj["latest_charge"] = obj["latest_charge"]["id"]
    return obj


_orig_event_init = Event.__init__


def _event_init(self, type, data):
    _orig_event_init(self, type, data)
    self.api_version = API_VERSION
    self.pending_webhooks = 0
    request_id, idempotency_key = CURRENT_REQUEST.get()
    self.request = {"id": request_id, "idempotency_key": idempotency_key}


_orig_list_all = StripeObject._api_list_all.__func__


def _list_all_newest_first(cls, url, limit=None, starting_after=None, **kwargs):
    # Stripe lists newest first; localstripe lists in insertion order (oldest first), so a
    # busy sandbox's first page never showed what was just created.
    li = _orig_list_all(cls, url, limit, starting_after, **kwargs)
    li._list.reverse()
    return li


def _noop(*_args, **_kwargs):
    return None


_applied = False


def apply(schedule_webhook) -> None:
    """Patch localstripe once; ``schedule_webhook(event)`` becomes its webhook hook."""
    global _applied
    resources.schedule_webhook = schedule_webhook
    webhooks.schedule_webhook = schedule_webhook
    if _applied:
        return
    _applied = True
    # The pickle store is rewritten on every assignment: slow, and state must not survive.
    resources.Store.dump_to_disk = _noop
    resources.Store.try_load_from_disk = _noop
    StripeObject._api_retrieve = classmethod(_retrieve)
    StripeObject._api_list_all = classmethod(_list_all_newest_first)
    PaymentMethod._try_get_canonical_test_article = classmethod(_test_payment_method)
    PaymentMethod._charging_is_declined = _charging_is_declined
    Charge._set_auth_failure = _set_auth_failure
    Charge._raise_failure = _raise_charge_failure
    Charge.outcome = property(_charge_outcome)
    Charge.amount_captured = property(_charge_amount_captured)
    Charge.payment_method_details = property(_charge_payment_method_details)
    PaymentIntent.amount_capturable = property(_pi_amount_capturable)
    PaymentIntent.amount_received = property(_pi_amount_received)
    PaymentIntent.last_payment_error = property(_pi_last_payment_error)
    PaymentIntent._export = _pi_export
    Event.__init__ = _event_init
