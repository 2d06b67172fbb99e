"""PaymentMethod creation, as Stripe.js does it."""

from __future__ import annotations

import datetime as dt
import re

from aiohttp import web
from localstripe.resources import PaymentMethod, StripeObject

from .common import read_params, respond
from .errors import StripeError, check_metadata, invalid, missing, to_int, unsupported_params
from .patches import new_card_payment_method


def _card_error(code: str, message: str, param: str) -> StripeError:
    return StripeError(402, "card_error", message, code=code, param=param,
                       doc_url="https://stripe.com/docs/error-codes/" + code.replace("_", "-"))


def _card_details(card) -> tuple[str, int, int, str]:
    if not isinstance(card, dict):
        raise missing("card")
    number = re.sub(r"[\s-]", "", str(card.get("number") or ""))
    if not number:
        raise missing("card[number]")
    # 4242424242424241 is Stripe's "fails the Luhn check" test number.
    if not re.fullmatch(r"\d{16}", number) or number == "4242424242424241":
        raise _card_error("incorrect_number", "Your card number is incorrect.", "number")
    for name in ("exp_month", "exp_year"):
        if card.get(name) in (None, ""):
            raise missing(f"card[{name}]")
    month = to_int(card["exp_month"], "card[exp_month]")
    year = to_int(card["exp_year"], "card[exp_year]")
    year = year + 2000 if 0 <= year < 100 else year
    now = dt.datetime.now(dt.UTC)
    if not 1 <= month <= 12:
        raise _card_error("invalid_expiry_month", "Your card's expiration month is invalid.",
                          "exp_month")
    if year < now.year or year > now.year + 50:
        raise _card_error("invalid_expiry_year", "Your card's expiration year is invalid.",
                          "exp_year")
    if (year, month) < (now.year, now.month):
        raise _card_error("invalid_expiry_month", "Your card's expiration month is invalid.",
                          "exp_month")
    cvc = str(card.get("cvc") or "")
    if not re.fullmatch(r"\d{3}", cvc):
        raise _card_error("invalid_cvc", "Your card's security code is invalid.", "cvc")
    return number, month, year, cvc


async def create_payment_method(request: web.Request) -> web.Response:
    data, expand = await read_params(request)
    unsupported_params(data, {"type", "card", "sepa_debit", "us_bank_account",
                              "billing_details", "metadata", "allow_redisplay"})
    billing_details = data.get("billing_details")
    if billing_details is not None and not isinstance(billing_details, dict):
        raise invalid("Invalid billing_details", param="billing_details")
    metadata = check_metadata(data.get("metadata"))
    if data.get("type") == "sepa_debit":
        return respond(_sepa_debit(data.get("sepa_debit"), billing_details, metadata), expand)
    if data.get("type") == "us_bank_account":
        return respond(_us_bank_account(data.get("us_bank_account"), billing_details,
                                        metadata), expand)
    if data.get("type") != "card":
        raise invalid("The sandbox creates PaymentMethods of type card, sepa_debit and "
                      "us_bank_account.", param="type")
    number, month, year, cvc = _card_details(data.get("card"))
    redisplay = data.get("allow_redisplay", "unspecified")
    if redisplay not in ("always", "limited", "unspecified"):
        raise invalid("Invalid allow_redisplay", param="allow_redisplay")
    pm = new_card_payment_method(number, month, year, cvc, billing_details=billing_details,
                                 metadata=metadata)
    pm.allow_redisplay = redisplay
    return respond(pm, expand)


def _us_bank_account(details, billing_details: dict | None,
                     metadata: dict) -> PaymentMethod:
    """An ACH debit account entered by hand (localstripe knows only cards and SEPA)."""
    if not isinstance(details, dict):
        raise missing("us_bank_account")
    for name in ("account_number", "routing_number"):
        if not details.get(name):
            raise missing(f"us_bank_account[{name}]")
    account, routing = str(details["account_number"]), str(details["routing_number"])
    if not re.fullmatch(r"\d{9}", routing):
        raise invalid("Routing number must have 9 digits.", code="invalid_bank_account_routing",
                      param="us_bank_account[routing_number]")
    if not (billing_details or {}).get("name"):
        raise missing("billing_details[name]")
    pm = PaymentMethod.__new__(PaymentMethod)
    StripeObject.__init__(pm)
    pm.type = "us_bank_account"
    pm.billing_details = billing_details or {}
    pm.customer = None
    pm.metadata = metadata
    pm._bank_account_number = account
    pm.us_bank_account = {
        "account_holder_type": details.get("account_holder_type") or "individual",
        "account_type": details.get("account_type") or "checking",
        "bank_name": "STRIPE TEST BANK", "last4": account[-4:], "routing_number": routing,
        "fingerprint": f"fp{abs(hash(account + routing)) % 10**12:012d}"}
    return pm


def _sepa_debit(details, billing_details: dict | None, metadata: dict) -> PaymentMethod:
    if not isinstance(details, dict) or not details.get("iban"):
        raise missing("sepa_debit[iban]")
    iban = re.sub(r"\s", "", str(details["iban"])).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban):
        raise invalid("The IBAN you entered is invalid.", code="invalid_bank_account_iban",
                      param="sepa_debit[iban]")
    # Stripe requires the account holder's name and e-mail for SEPA Direct Debit.
    if not (billing_details or {}).get("name") or not (billing_details or {}).get("email"):
        raise missing("billing_details[name]" if not (billing_details or {}).get("name")
                      else "billing_details[email]")
    return PaymentMethod(type="sepa_debit", sepa_debit={"iban": iban},
                         billing_details=billing_details, metadata=metadata)


ROUTES = [
    ("POST", "/v1/payment_methods", create_payment_method),
]
