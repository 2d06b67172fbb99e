"""PaymentIntent routes: create, retrieve, confirm, 3-D Secure, capture and cancel."""

from __future__ import annotations

import re
import time

from aiohttp import web
from localstripe.resources import Charge, PaymentIntent, PaymentMethod
from localstripe.server import unflatten_data

from .common import (
    check_client_secret,
    check_email,
    emit,
    new_payment_intent,
    read_params,
    resolve_payment_method,
    respond,
)
from .customers import _customer, check_owner, future_usage, save_for_later
from .errors import (
    StripeError,
    check_metadata,
    invalid,
    missing,
    to_bool,
    to_int,
    unexpected_state,
    unknown_params,
    unsupported_params,
)
from .patches import PROCESSING_CARD, card_error_fields, card_number

AUTH_FAILURE_MESSAGE = ("We are unable to authenticate your payment method. Please choose a "
                        "different payment method and try again.")
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation",
              "requires_action", "processing")
CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
# Stripe's minimum charge amounts for the currencies we are likely to use.
MINIMUM_AMOUNT = {"usd": 50, "eur": 50, "chf": 50, "cad": 50, "aud": 50, "gbp": 30}

# What the handlers act on; the contract gate has already refused what Stripe does not know.
_CREATE_SUPPORTS = {
    "amount", "currency", "metadata", "capture_method", "description", "receipt_email",
    "automatic_payment_methods", "allowed_payment_method_types",
    "excluded_payment_method_types", "statement_descriptor", "statement_descriptor_suffix",
    "customer", "payment_method", "confirm", "return_url", "setup_future_usage", "shipping",
    "payment_method_options", "mandate_data",
}
_CONFIRM_SUPPORTS = {
    "payment_method", "return_url", "client_secret", "key", "receipt_email", "capture_method",
    "use_stripe_sdk", "payment_method_options", "setup_future_usage", "mandate_data",
    "off_session", "error_on_requires_action", "shipping",
}

# The methods this sandbox account has turned on in its "Dashboard", and the currencies each
# takes: what dynamic payment methods (automatic_payment_methods) offer.
ACCOUNT_METHODS = {"card": None, "sepa_debit": {"eur"}, "us_bank_account": {"usd"}}
# Debits go ``processing``; the bank then pays or refuses. Stripe's test accounts that
# refuse (SEPA IBANs, ACH "account closed"); every other account pays.
DEBIT_FAILS = {"DE62370400440532013001", "AT861904300235473202", "000111111113"}
DEBITS = ("sepa_debit", "us_bank_account")
# Called with (intent, success) once a delayed payment is decided; a Checkout Session paid
# by it then sends checkout.session.async_payment_succeeded/_failed.
SETTLE_HOOKS: list = []


def _capture_method(value) -> str:
    if value not in CAPTURE_METHODS:
        raise invalid(f"Invalid capture_method: must be one of {', '.join(CAPTURE_METHODS)}",
                      param="capture_method")
    return value


def _listed(value) -> list[str]:
    if isinstance(value, dict):  # allowed_payment_method_types[0]=card
        return [value[k] for k in sorted(value, key=int)]
    return value if isinstance(value, list) else [value]


def _payment_method_types(data: dict, currency: str) -> list[str]:
    """What the intent will offer: the allowed list, or every method the account turned on
    that fits the currency (dynamic payment methods)."""
    fits = [name for name, currencies in ACCOUNT_METHODS.items()
            if currencies is None or currency in currencies]
    if "allowed_payment_method_types" not in data:
        excluded = set(_listed(data.get("excluded_payment_method_types") or []))
        return [name for name in fits if name not in excluded]
    types = _listed(data["allowed_payment_method_types"])
    for i, name in enumerate(types):
        if name not in fits:
            raise invalid(f"The payment method type \"{name}\" is invalid. Please ensure the "
                          "provided type is activated in your dashboard "
                          "(https://dashboard.stripe.com/account/payments/settings) and your "
                          "account is enabled for any preview features that you are trying "
                          "to use.", code="payment_intent_invalid_parameter",
                          param=f"allowed_payment_method_types[{i}]")
    return types


def _amount_and_currency(data: dict) -> tuple[int, str]:
    if "amount" not in data:
        raise missing("amount")
    amount = to_int(data["amount"], "amount")
    currency = data.get("currency")
    if not currency:
        raise missing("currency")
    currency = str(currency).lower()
    if not re.fullmatch(r"[a-z]{3}", currency):
        raise invalid(f"Invalid currency: {currency}.", param="currency")
    minimum = MINIMUM_AMOUNT.get(currency, 1)
    if amount < minimum:
        raise invalid(f"Amount must be at least {minimum / 100:.2f} {currency}",
                      code="amount_too_small", param="amount")
    if amount > 99999999:
        raise invalid("Amount must be no more than 999,999.99", code="amount_too_large",
                      param="amount")
    return amount, currency


async def create_payment_intent(request: web.Request) -> web.Response:
    data, expand = await read_params(request)
    unsupported_params(data, _CREATE_SUPPORTS)
    amount, currency = _amount_and_currency(data)
    capture_method = _capture_method(data.get("capture_method", "automatic_async"))
    if "allowed_payment_method_types" in data and data.get("automatic_payment_methods"):
        raise invalid("You may only specify one of these parameters: "
                      "allowed_payment_method_types, automatic_payment_methods.",
                      param="automatic_payment_methods")
    types = _payment_method_types(data, currency)
    metadata = check_metadata(data.get("metadata"))
    receipt_email = check_email(data.get("receipt_email"), "receipt_email")
    description = data.get("description")
    if description is not None and not isinstance(description, str):
        raise invalid("Invalid description", param="description")
    confirm = to_bool(data.get("confirm", False), "confirm")
    pm = resolve_payment_method(data["payment_method"]) if data.get("payment_method") else None

    pi = new_payment_intent(
        amount=amount, currency=currency, customer=data.get("customer"),
        payment_method=pm.id if pm else None, metadata=metadata, capture_method=capture_method,
        types=types, dynamic="allowed_payment_method_types" not in data,
        description=description or None, receipt_email=receipt_email,
        statement_descriptor=data.get("statement_descriptor"),
        statement_descriptor_suffix=data.get("statement_descriptor_suffix"),
        setup_future_usage=data.get("setup_future_usage"))
    emit("payment_intent.created", pi)
    if confirm:
        _confirm(pi, {k: data[k] for k in ("return_url",) if k in data})
    return respond(pi, expand)


async def retrieve_payment_intent(request: web.Request) -> web.Response:
    pi = PaymentIntent._api_retrieve(request.match_info["id"])
    query = unflatten_data(request.query)
    expand = query.pop("expand", None)
    check_client_secret(request, pi, query.get("client_secret"))
    return respond(pi, [expand] if isinstance(expand, str) else expand)


def _requires_action(pi: PaymentIntent) -> None:
    pi.next_action = {"type": "use_stripe_sdk",
                      "use_stripe_sdk": {"type": "three_d_secure_redirect",
                                         "stripe_js": "", "source": "src_sandbox_3ds"}}
    emit("payment_intent.requires_action", pi)


def _record_failure(pi: PaymentIntent, pm: PaymentMethod, charge: Charge) -> dict:
    fields = {k: v for k, v in card_error_fields(charge).items() if v is not None}
    pi._sandbox_error = {"type": "card_error", **fields, "payment_method": pm._export()}
    # Like Stripe: the failed method is detached so the shopper must supply another.
    pi.payment_method = None
    emit("charge.failed", charge)
    emit("payment_intent.payment_failed", pi)
    return fields


def _fail(pi: PaymentIntent, pm: PaymentMethod, charge: Charge) -> None:
    fields = _record_failure(pi, pm, charge)
    message = fields.pop("message")
    raise StripeError(402, "card_error", message, **fields, payment_intent=pi._export(),
                      payment_method=pm._export())


def _new_charge(pi: PaymentIntent, pm: PaymentMethod) -> Charge:
    charge = Charge(amount=pi.amount, currency=pi.currency, customer=pi.customer, source=pm.id,
                    capture=pi.capture_method != "manual", description=pi.description,
                    metadata=dict(pi.metadata or {}))
    charge.payment_intent = pi.id
    charge.receipt_email = pi.receipt_email
    pi.latest_charge = charge
    return charge


def _succeeded(pi: PaymentIntent, charge: Charge) -> None:
    save_for_later(pi, PaymentMethod._api_retrieve(pi.payment_method))
    emit("charge.succeeded", charge)
    if charge.captured:
        emit("payment_intent.succeeded", pi)
    else:
        emit("payment_intent.amount_capturable_updated", pi)


def _charge(pi: PaymentIntent, pm: PaymentMethod) -> None:
    charge = _new_charge(pi, pm)
    charge._initialize_charge()
    if charge.status == "failed":
        _fail(pi, pm, charge)
    _succeeded(pi, charge)


def _start_processing(pi: PaymentIntent, pm: PaymentMethod) -> None:
    """Sandbox-only card: the charge stays pending (the intent ``processing``) until
    ``POST /v1/payment_intents/{id}/_settle`` decides it, like a slow bank would."""
    _new_charge(pi, pm)
    emit("payment_intent.processing", pi)


async def settle_processing_payment_intent(request: web.Request) -> web.Response:
    """Sandbox-only (secret key): finish a ``processing`` intent, ``success=true|false``."""
    pi = PaymentIntent._api_retrieve(request.match_info["id"])
    data, expand = await read_params(request)
    unknown_params(data, {"success"})
    if pi.status != "processing":
        raise unexpected_state("settle", "settled", pi.status, ("processing",))
    charge = pi.latest_charge
    pm = PaymentMethod._api_retrieve(pi.payment_method)
    # A test IBAN decides by itself, as the bank would; a test may say otherwise.
    account = getattr(pm, "_sepa_debit_iban", None) or getattr(pm, "_bank_account_number", None)
    default = account not in DEBIT_FAILS
    success = to_bool(data.get("success", default), "success")
    if success:
        charge._initialize_charge()
        _succeeded(pi, charge)
    else:
        charge._set_auth_failure()
        _record_failure(pi, pm, charge)
    for hook in SETTLE_HOOKS:
        hook(pi, success)
    return respond(pi, expand)


def _check_method_fits(pi: PaymentIntent, data: dict) -> None:
    pm = PaymentMethod._api_retrieve(pi.payment_method)
    if pm.type not in (pi.payment_method_types or ["card"]):
        raise invalid(f"The PaymentMethod provided ({pm.type}) is not allowed for this "
                      "PaymentIntent. Please attach a PaymentMethod of one of the following "
                      f"types: {', '.join(pi.payment_method_types)}.",
                      code="payment_intent_incompatible_payment_method",
                      param="payment_method")
    if pm.type in DEBITS and not data.get("mandate_data"):
        raise invalid(f"A mandate is required to confirm a {pm.type} payment: pass "
                      "mandate_data[customer_acceptance].", code="parameter_missing",
                      param="mandate_data")


def _confirm(pi: PaymentIntent, data: dict) -> None:
    if pi.status not in CONFIRMABLE:
        raise unexpected_state("confirm", "confirmed", pi.status, CONFIRMABLE)
    if data.get("payment_method"):
        pm = resolve_payment_method(data["payment_method"])
        check_owner(pi, pm)
        pi.payment_method = pm.id
        _check_method_fits(pi, data)
    if "setup_future_usage" in data:
        pi.setup_future_usage = future_usage(data["setup_future_usage"])
    elif pi.payment_method is None:
        raise invalid("You cannot confirm this PaymentIntent because it's missing a payment "
                      "method. Pass a payment_method and try again.",
                      code="payment_intent_unexpected_state", param="payment_method")
    if "receipt_email" in data:
        pi.receipt_email = check_email(data["receipt_email"], "receipt_email")
    if "capture_method" in data:
        pi.capture_method = _capture_method(data["capture_method"])
    pi.next_action = None
    pi._sandbox_error = None
    pm = PaymentMethod._api_retrieve(pi.payment_method)
    if pm._requires_authentication():
        _requires_action(pi)
    elif pm.type in DEBITS or card_number(pm.id) == PROCESSING_CARD:
        _start_processing(pi, pm)
    else:
        _charge(pi, pm)


async def update_payment_intent(request: web.Request) -> web.Response:
    """What can change before confirming: the Customer, saving for later, metadata, and the
    amount (the shop never changes it; the tests do, as someone with the account's key
    could at Stripe, to show the shop checks what it is paid)."""
    pi = PaymentIntent._api_retrieve(request.match_info["id"])
    data, expand = await read_params(request)
    unsupported_params(data, {"customer", "setup_future_usage", "metadata", "amount"})
    if pi.status not in CONFIRMABLE:
        raise unexpected_state("update", "updated", pi.status, CONFIRMABLE)
    if "amount" in data:
        pi.amount, _ = _amount_and_currency({"amount": data["amount"], "currency": pi.currency})
    if "customer" in data:
        if pi.customer and data["customer"] != pi.customer:
            raise invalid("You cannot change the customer of a PaymentIntent that already "
                          "has one.", code="payment_intent_invalid_parameter",
                          param="customer")
        pi.customer = _customer(data["customer"]).id
    if "setup_future_usage" in data:
        pi.setup_future_usage = future_usage(data["setup_future_usage"])
    if data.get("metadata"):
        pi.metadata = {**(pi.metadata or {}), **check_metadata(data["metadata"])}
    return respond(pi, expand)


async def confirm_payment_intent(request: web.Request) -> web.Response:
    pi = PaymentIntent._api_retrieve(request.match_info["id"])
    data, expand = await read_params(request)
    unsupported_params(data, _CONFIRM_SUPPORTS)
    check_client_secret(request, pi, data.get("client_secret"))
    _confirm(pi, data)
    return respond(pi, expand)


async def authenticate_payment_intent(request: web.Request) -> web.Response:
    """localstripe's stand-in for the bank's 3-D Secure page (``success=true|false``)."""
    pi = PaymentIntent._api_retrieve(request.match_info["id"])
    data, expand = await read_params(request)
    unknown_params(data, {"client_secret", "success", "return_url"})
    check_client_secret(request, pi, data.get("client_secret"), required=True)
    success = to_bool(data.get("success", False), "success")
    if pi.status != "requires_action":
        raise unexpected_state("authenticate", "authenticated", pi.status, ("requires_action",))
    pi.next_action = None
    pm = PaymentMethod._api_retrieve(pi.payment_method)
    if success:
        _charge(pi, pm)
    else:
        pi.payment_method = None
        pi._sandbox_error = {
            "type": "invalid_request_error",
            "code": "payment_intent_authentication_failure",
            "message": AUTH_FAILURE_MESSAGE,
            "doc_url": "https://stripe.com/docs/error-codes/payment-intent-authentication-failure",
            "payment_method": pm._export(),
        }
        emit("payment_intent.payment_failed", pi)
    return respond(pi, expand)


async def cancel_payment_intent(request: web.Request) -> web.Response:
    pi = PaymentIntent._api_retrieve(request.match_info["id"])
    data, expand = await read_params(request)
    unsupported_params(data, {"cancellation_reason"})
    reason = data.get("cancellation_reason")
    if pi.status not in CANCELABLE:
        raise unexpected_state("cancel", "canceled", pi.status, CANCELABLE)
    pi._canceled = True
    pi.next_action = None
    pi.canceled_at = int(time.time())
    pi.cancellation_reason = reason
    emit("payment_intent.canceled", pi)
    return respond(pi, expand)


async def capture_payment_intent(request: web.Request) -> web.Response:
    pi = PaymentIntent._api_retrieve(request.match_info["id"])
    data, expand = await read_params(request)
    unsupported_params(data, {"amount_to_capture", "metadata", "statement_descriptor",
                          "statement_descriptor_suffix", "final_capture"})
    if pi.status != "requires_capture":
        raise StripeError(400, "invalid_request_error",
                          f"This PaymentIntent could not be captured because it has a status of "
                          f"{pi.status}. Only a PaymentIntent with one of the following statuses "
                          "may be captured: requires_capture.",
                          code="payment_intent_unexpected_state")
    amount = to_int(data.get("amount_to_capture", pi.amount), "amount_to_capture")
    if not 1 <= amount <= pi.amount:
        raise invalid(f"The amount_to_capture must be a positive integer less than or equal to "
                      f"the amount_capturable ({pi.amount}).", code="amount_too_large",
                      param="amount_to_capture")
    if data.get("metadata"):
        pi.metadata = {**(pi.metadata or {}), **check_metadata(data["metadata"])}
    charge = pi.latest_charge
    charge._amount_captured = amount
    # Stripe releases the uncaptured rest without a refund object (localstripe made one,
    # which would show up among the charge's refunds as if someone had refunded it).
    charge._capture(charge.amount)
    emit("charge.captured", charge)
    emit("payment_intent.succeeded", pi)
    return respond(pi, expand)


ROUTES = [
    ("POST", "/v1/payment_intents", create_payment_intent),
    ("GET", "/v1/payment_intents/{id}", retrieve_payment_intent),
    ("POST", "/v1/payment_intents/{id}", update_payment_intent),
    ("POST", "/v1/payment_intents/{id}/confirm", confirm_payment_intent),
    ("POST", "/v1/payment_intents/{id}/_authenticate", authenticate_payment_intent),
    ("POST", "/v1/payment_intents/{id}/cancel", cancel_payment_intent),
    ("POST", "/v1/payment_intents/{id}/capture", capture_payment_intent),
    ("POST", "/v1/payment_intents/{id}/_settle", settle_processing_payment_intent),
]
