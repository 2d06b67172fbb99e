"""Checkout Sessions (mode=payment, price_data line items): create, retrieve, list their line
items and expire. Paying happens on the hosted-page stand-in (``checkout_page.py``), which
makes the PaymentIntent and charge as Stripe's own page does.

Since 2022-08-01 a session's ``payment_intent`` is null until the shopper pays, and a session
lapses by itself at ``expires_at`` (30 minutes to 24 hours after creation) with a
``checkout.session.expired`` event.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from aiohttp import web
from localstripe.errors import UserError
from localstripe.resources import StripeObject, random_id, store
from localstripe.server import json_response, unflatten_data

from .common import check_email, emit, read_params
from .errors import check_metadata, invalid, missing, to_int, unsupported_params
from .payments import MINIMUM_AMOUNT

PAGE_PREFIX = "/checkout.stripe.com/c/pay/"
MIN_LIFETIME = 30 * 60
MAX_LIFETIME = 24 * 60 * 60

_CREATE_SUPPORTS = {"mode", "line_items", "client_reference_id", "customer_email",
                    "success_url", "cancel_url", "metadata", "payment_intent_data",
                    "expires_at", "currency"}
_LINE_SUPPORTS = {"price_data", "quantity"}
_PRICE_SUPPORTS = {"currency", "unit_amount", "product_data"}


class CheckoutSession(StripeObject):
    object = "checkout.session"
    _id_prefix = "cs_test_"

    def __init__(self, **fields: Any) -> None:
        super().__init__()
        for key, value in fields.items():
            setattr(self, key, value)


def _listed(value: Any, param: str) -> list:
    if isinstance(value, dict) and all(str(k).isdigit() for k in value):
        return [value[k] for k in sorted(value, key=int)]
    if isinstance(value, list):
        return value
    raise invalid("Invalid array", code="parameter_invalid_array", param=param)


def _line_item(raw: Any, i: int) -> dict:
    param = f"line_items[{i}]"
    if not isinstance(raw, dict):
        raise invalid("Invalid object", code="parameter_invalid_object", param=param)
    if "price" in raw:
        raise invalid(f"No such price: '{raw['price']}'", code="resource_missing",
                      param=f"{param}[price]")
    unsupported_params(raw, _LINE_SUPPORTS)
    price = raw.get("price_data")
    if not isinstance(price, dict):
        raise missing(f"{param}[price_data]")
    unsupported_params(price, _PRICE_SUPPORTS)
    for name in ("currency", "unit_amount"):
        if name not in price:
            raise missing(f"{param}[price_data][{name}]")
    currency = str(price["currency"]).lower()
    if not re.fullmatch(r"[a-z]{3}", currency):
        raise invalid(f"Invalid currency: {currency}.", param=f"{param}[price_data][currency]")
    unit_amount = to_int(price["unit_amount"], f"{param}[price_data][unit_amount]")
    if unit_amount < 0:
        raise invalid("This value must be greater than or equal to 0.",
                      param=f"{param}[price_data][unit_amount]")
    product = price.get("product_data")
    if not isinstance(product, dict) or not str(product.get("name") or "").strip():
        raise missing(f"{param}[price_data][product_data][name]")
    if "quantity" not in raw:
        raise missing(f"{param}[quantity]")
    quantity = to_int(raw["quantity"], f"{param}[quantity]")
    if not 1 <= quantity <= 999999:
        raise invalid("Quantity must be between 1 and 999999.", param=f"{param}[quantity]")
    total = unit_amount * quantity
    return {"id": "li_" + random_id(14), "object": "item", "amount_discount": 0,
            "amount_subtotal": total, "amount_tax": 0, "amount_total": total,
            "currency": currency, "description": str(product["name"]), "quantity": quantity,
            "price": {"id": "price_" + random_id(14), "object": "price", "active": False,
                      "currency": currency, "unit_amount": unit_amount, "type": "one_time",
                      "product": "prod_" + random_id(14), "livemode": False}}


def _lines(data: dict) -> list[dict]:
    if "line_items" not in data:
        raise invalid("You must specify either `line_items` or `mode=setup` (payment mode "
                      "needs something to pay for).", code="parameter_missing",
                      param="line_items")
    lines = [_line_item(raw, i) for i, raw in enumerate(_listed(data["line_items"],
                                                                  "line_items"))]
    if not lines:
        raise missing("line_items")
    if len({line["currency"] for line in lines}) > 1:
        raise invalid("All line items must have the same currency.", param="line_items")
    return lines


def _url(data: dict, name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+", value):
        raise invalid("Not a valid URL", code="url_invalid", param=name)
    return value


def _expires_at(data: dict, now: int) -> int:
    if "expires_at" not in data:
        return now + MAX_LIFETIME
    expires_at = to_int(data["expires_at"], "expires_at")
    if expires_at < now + MIN_LIFETIME:
        raise invalid("The `expires_at` timestamp must be at least 30 minutes from Checkout "
                      "Session creation.", param="expires_at")
    if expires_at > now + MAX_LIFETIME:
        raise invalid("The `expires_at` timestamp must be less than 24 hours from Checkout "
                      "Session creation.", param="expires_at")
    return expires_at


def _intent_metadata(data: dict) -> dict[str, str]:
    intent_data = data.get("payment_intent_data")
    if intent_data in (None, ""):
        return {}
    if not isinstance(intent_data, dict):
        raise invalid("Invalid object", code="parameter_invalid_object",
                      param="payment_intent_data")
    unsupported_params(intent_data, {"metadata"})
    return check_metadata(intent_data.get("metadata"))


def _check_create(data: dict) -> tuple[list[dict], int]:
    unsupported_params(data, _CREATE_SUPPORTS)
    if "mode" not in data:
        raise missing("mode")
    if data["mode"] != "payment":
        raise invalid("The sandbox implements Checkout Sessions in mode=payment only.",
                      code="sandbox_unsupported", param="mode")
    lines = _lines(data)
    currency = lines[0]["currency"]
    if "currency" in data and str(data["currency"]).lower() != currency:
        raise invalid("The currency must match the line items' currency.", param="currency")
    total = sum(line["amount_total"] for line in lines)
    minimum = MINIMUM_AMOUNT.get(currency, 1)
    if total < minimum:
        raise invalid(f"The Checkout Session's total amount due must add up to at least "
                      f"{minimum / 100:.2f} {currency}", code="amount_too_small",
                      param="line_items")
    reference = data.get("client_reference_id")
    if reference is not None and (not isinstance(reference, str) or not reference
                                  or len(reference) > 200):
        raise invalid("client_reference_id must be a string of 1 to 200 characters.",
                      param="client_reference_id")
    return lines, total


async def create_session(request: web.Request) -> web.Response:
    data, expand = await read_params(request)
    lines, total = _check_create(data)
    now = int(time.time())
    session = CheckoutSession(
        mode="payment", status="open", payment_status="unpaid", ui_mode="hosted",
        currency=lines[0]["currency"], amount_subtotal=total, amount_total=total,
        client_reference_id=data.get("client_reference_id"),
        customer_email=check_email(data.get("customer_email"), "customer_email"),
        customer_details=None, success_url=_url(data, "success_url"),
        cancel_url=_url(data, "cancel_url"), metadata=check_metadata(data.get("metadata")),
        expires_at=_expires_at(data, now), payment_intent=None,
        payment_method_types=["card"], url=None)
    session.url = f"{request.url.origin()}{PAGE_PREFIX}{session.id}"
    session._line_items = lines
    session._intent_metadata = _intent_metadata(data)
    # Stripe lapses the session by itself at expires_at; find() also checks, for a sandbox
    # restarted from its saved store.
    asyncio.get_running_loop().call_later(session.expires_at - now, _lapse_by_timer, session.id)
    return _respond(session, expand)


def lapse_if_due(session: CheckoutSession) -> None:
    """Stripe expires an open session at ``expires_at`` by itself."""
    if session.status == "open" and time.time() >= session.expires_at:
        expire(session)


def _lapse_by_timer(session_id: str) -> None:
    session = store.get(f"{CheckoutSession.object}:{session_id}")
    if session is not None:  # not flushed meanwhile (DELETE /_config/data)
        lapse_if_due(session)


def expire(session: CheckoutSession) -> None:
    session.status = "expired"
    session.url = None
    emit("checkout.session.expired", session)


def find(session_id: str) -> CheckoutSession:
    try:
        session = CheckoutSession._api_retrieve(session_id)
    except UserError:
        raise invalid(f"No such checkout.session: '{session_id}'", status=404,
                      code="resource_missing", param="session") from None
    lapse_if_due(session)
    return session


def _line_list(session: CheckoutSession) -> dict:
    return {"object": "list", "data": list(session._line_items), "has_more": False,
            "url": f"/v1/checkout/sessions/{session.id}/line_items"}


def _respond(session: CheckoutSession, expand: list | None) -> web.Response:
    expand = list(expand or [])
    wants_lines = "line_items" in expand
    body = session._export(expand=[e for e in expand if e != "line_items"])
    if wants_lines:
        body["line_items"] = _line_list(session)
    return json_response(body)


def _query_expand(request: web.Request) -> list | None:
    expand = unflatten_data(request.query).get("expand")
    return [expand] if isinstance(expand, str) else expand


async def retrieve_session(request: web.Request) -> web.Response:
    return _respond(find(request.match_info["id"]), _query_expand(request))


async def expire_session(request: web.Request) -> web.Response:
    session = find(request.match_info["id"])
    data, expand = await read_params(request)
    unsupported_params(data, set())
    if session.status != "open":
        raise invalid(f"Only Checkout Sessions with a status in [\"open\"] can be expired. "
                      f"This session has a status of \"{session.status}\".",
                      code="checkout_session_unexpected_state")
    expire(session)
    return _respond(session, expand)


async def session_line_items(request: web.Request) -> web.Response:
    session = find(request.match_info["id"])
    query = unflatten_data(request.query)
    unsupported_params(query, {"limit", "starting_after", "ending_before"})
    return json_response(_line_list(session))


ROUTES = [
    ("POST", "/v1/checkout/sessions", create_session),
    ("GET", "/v1/checkout/sessions/{id}", retrieve_session),
    ("POST", "/v1/checkout/sessions/{id}/expire", expire_session),
    ("GET", "/v1/checkout/sessions/{id}/line_items", session_line_items),
]
