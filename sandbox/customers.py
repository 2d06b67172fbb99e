"""Customers, their saved PaymentMethods (attach, detach, list) and Customer Sessions.

Ownership is what matters here, as at Stripe: a PaymentMethod belongs to at most one
Customer, a Customer's list and ``/v1/customers/{id}/payment_methods/{pm}`` show only its
own, and a default must be one of its own.
"""

from __future__ import annotations

import hmac
import secrets
import time

from aiohttp import web
from localstripe.resources import Customer, PaymentIntent, PaymentMethod, StripeObject, store
from localstripe.server import json_response, unflatten_data

from .common import emit, read_params, resolve_payment_method, respond
from .errors import (
    StripeError,
    check_metadata,
    invalid,
    missing,
    to_int,
    unsupported_params,
)
from .patches import DECLINES

SESSION_SECONDS = 30 * 60
REDISPLAY = ("always", "limited", "unspecified")


def _customer(customer_id, param: str = "customer") -> Customer:
    if not isinstance(customer_id, str) or not customer_id.startswith("cus_"):
        raise invalid(f"Invalid {param}: expected a Customer id (cus_...).", param=param)
    found = store.get("customer:" + customer_id)
    if found is None:
        raise invalid(f"No such customer: '{customer_id}'", code="resource_missing",
                      param=param)
    return found


def _not_found_pm(pm_id: str) -> StripeError:
    return invalid(f"No such PaymentMethod: '{pm_id}'", status=404, code="resource_missing",
                   param="payment_method")


def attach(pm: PaymentMethod, customer_id: str) -> None:
    """Attach as Stripe does: once, to one Customer; a card that cannot be saved is refused."""
    if pm.customer == customer_id:
        return
    if pm.customer is not None:
        raise invalid("The payment method you provided has already been attached to a "
                      "customer.", code="payment_method_unexpected_state",
                      param="payment_method")
    number = getattr(pm, "_card_number", None)
    if number in DECLINES and number not in ("4000000000000341", "4000008260003178",
                                             "4000008400001629"):
        decline = DECLINES[number]
        raise StripeError(402, "card_error", decline.message, code=decline.code,
                          decline_code=decline.decline_code, param=decline.param)
    pm.customer = customer_id
    emit("payment_method.attached", pm)


def owned(customer_id: str, pm_id) -> PaymentMethod:
    """The Customer's own PaymentMethod, or Stripe's 404 (another's looks like none)."""
    if not isinstance(pm_id, str) or not pm_id.startswith("pm_"):
        raise _not_found_pm(str(pm_id))
    pm = store.get("payment_method:" + pm_id)
    if pm is None or pm.customer != customer_id:
        raise _not_found_pm(pm_id)
    return pm


# --- PaymentIntents with a Customer -----------------------------------------------------

def save_for_later(pi: PaymentIntent, pm: PaymentMethod) -> None:
    """``setup_future_usage`` with a Customer: the paid card is attached to it."""
    if pi.setup_future_usage and pi.customer and pm.customer is None:
        pm.customer = pi.customer
        emit("payment_method.attached", pm)


def check_owner(pi: PaymentIntent, pm: PaymentMethod) -> None:
    """A saved PaymentMethod pays only for its own Customer's intents."""
    if pm.customer is None or pm.customer == pi.customer:
        return
    if pi.customer is None:
        raise invalid("The provided PaymentMethod belongs to a Customer, but you did not "
                      "provide a Customer on the PaymentIntent.",
                      code="payment_intent_invalid_parameter", param="payment_method")
    raise invalid(f"No such PaymentMethod: '{pm.id}'", code="resource_missing",
                  param="payment_method")


def future_usage(value) -> str | None:
    if value in ("", None):
        return None
    if value not in ("on_session", "off_session"):
        raise invalid("Invalid setup_future_usage: must be one of off_session, on_session",
                      param="setup_future_usage")
    return value



# --- customers ------------------------------------------------------------------------

async def create_customer(request: web.Request) -> web.Response:
    data, expand = await read_params(request)
    unsupported_params(data, {"email", "name", "description", "metadata"})
    for name in ("email", "name", "description"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise invalid(f"Invalid {name}", param=name)
    customer = Customer(email=data.get("email") or None, name=data.get("name") or None,
                        description=data.get("description") or None,
                        metadata=check_metadata(data.get("metadata")))
    return respond(customer, expand)


async def retrieve_customer(request: web.Request) -> web.Response:
    customer = Customer._api_retrieve(request.match_info["id"])
    expand = unflatten_data(request.query).get("expand")
    return respond(customer, [expand] if isinstance(expand, str) else expand)


async def update_customer(request: web.Request) -> web.Response:
    customer = Customer._api_retrieve(request.match_info["id"])
    data, expand = await read_params(request)
    unsupported_params(data, {"invoice_settings", "metadata", "email", "name"})
    settings = data.get("invoice_settings")
    if settings is not None:
        unsupported_params(settings if isinstance(settings, dict) else {},
                           {"default_payment_method"})
        default = (settings or {}).get("default_payment_method")
        if default:
            try:
                owned(customer.id, default)
            except StripeError:
                raise invalid(f"The customer does not have a payment method with the ID "
                              f"{default}. The payment method must be attached to the "
                              "customer.", code="resource_missing",
                              param="invoice_settings[default_payment_method]") from None
        customer.invoice_settings = {**(customer.invoice_settings or {}),
                                     "default_payment_method": default or None}
    if data.get("metadata"):
        customer.metadata = {**(customer.metadata or {}), **check_metadata(data["metadata"])}
    for name in ("email", "name"):
        if name in data:
            setattr(customer, name, data[name] or None)
    emit("customer.updated", customer)
    return respond(customer, expand)


# --- payment methods by customer -------------------------------------------------------

def _saved(customer_id: str, *, redisplay: str | None = None) -> list[PaymentMethod]:
    found = [pm for key, pm in store.items()
             if key.startswith("payment_method:") and pm.customer == customer_id
             and (redisplay is None or getattr(pm, "allow_redisplay", "unspecified")
                  == redisplay)]
    # Newest first, as Stripe lists: the store keeps creation order (``created`` is whole
    # seconds, too coarse to order cards made in the same second).
    return found[::-1]


def _list(url: str, items: list, limit: int) -> web.Response:
    return json_response({"object": "list", "url": url, "has_more": len(items) > limit,
                          "data": [pm._export() for pm in items[:limit]]})


async def list_customer_payment_methods(request: web.Request) -> web.Response:
    customer = Customer._api_retrieve(request.match_info["id"])
    query = unflatten_data(request.query)
    unsupported_params(query, {"type", "limit", "allow_redisplay"})
    limit = to_int(query.get("limit", 10), "limit")
    if not 1 <= limit <= 100:
        raise invalid("Limit must be between 1 and 100.", param="limit")
    redisplay = query.get("allow_redisplay")
    items = [pm for pm in _saved(customer.id, redisplay=redisplay)
             if query.get("type") in (None, pm.type)]
    return _list(request.path, items, limit)


async def retrieve_customer_payment_method(request: web.Request) -> web.Response:
    customer = Customer._api_retrieve(request.match_info["id"])
    return respond(owned(customer.id, request.match_info["pm"]))


async def attach_payment_method(request: web.Request) -> web.Response:
    pm = resolve_payment_method(request.match_info["id"], param="id")
    data, expand = await read_params(request)
    unsupported_params(data, {"customer"})
    if not data.get("customer"):
        raise missing("customer")
    attach(pm, _customer(data["customer"]).id)
    return respond(pm, expand)


async def detach_payment_method(request: web.Request) -> web.Response:
    pm = resolve_payment_method(request.match_info["id"], param="id")
    data, expand = await read_params(request)
    unsupported_params(data, set())
    if pm.customer is None:
        raise invalid(f"The payment method {pm.id} is not attached to a customer so "
                      "detachment is impossible.", code="payment_method_unexpected_state")
    customer = store.get("customer:" + pm.customer)
    # Stripe forgets a detached default.
    if customer is not None and (customer.invoice_settings or {}).get(
            "default_payment_method") == pm.id:
        customer.invoice_settings = {**customer.invoice_settings,
                                     "default_payment_method": None}
    pm.customer = None
    emit("payment_method.detached", pm)
    return respond(pm, expand)


# --- customer sessions ------------------------------------------------------------------

class CustomerSession(StripeObject):
    """Stripe's has no id; the store needs one, and ``_export`` leaves it out."""

    object = "customer_session"
    _id_prefix = "cuss_"

    def __init__(self, customer: str, components: dict):
        super().__init__()
        self.customer = customer
        self.components = components
        self.client_secret = "cuss_secret_" + secrets.token_urlsafe(24)
        self.expires_at = self.created + SESSION_SECONDS

    def _export(self, expand=None):
        exported = super()._export(expand=expand)
        exported.pop("id", None)
        return exported


async def create_customer_session(request: web.Request) -> web.Response:
    data, expand = await read_params(request)
    unsupported_params(data, {"customer", "components"})
    if not data.get("customer"):
        raise missing("customer")
    customer = _customer(data["customer"])
    components = data.get("components")
    element = (components or {}).get("payment_element") if isinstance(components, dict) \
        else None
    if not isinstance(element, dict) or str(element.get("enabled")).lower() != "true":
        raise invalid("You must enable at least one component.", param="components")
    unsupported_params(components, {"payment_element"})
    features = element.get("features") or {}
    unsupported_params(features, {"payment_method_save", "payment_method_save_usage",
                                  "payment_method_redisplay", "payment_method_remove",
                                  "payment_method_allow_redisplay_filters"})
    session = CustomerSession(customer.id, {"payment_element": {
        "enabled": True, "features": {
            "payment_method_save": features.get("payment_method_save", "disabled"),
            "payment_method_save_usage": features.get("payment_method_save_usage"),
            "payment_method_redisplay": features.get("payment_method_redisplay", "disabled"),
            "payment_method_remove": features.get("payment_method_remove", "disabled"),
            "payment_method_allow_redisplay_filters": _listed(
                features.get("payment_method_allow_redisplay_filters")) or ["always"],
        }}})
    return respond(session, expand)


def _listed(value) -> list[str]:
    if isinstance(value, dict):  # filters[0]=always
        return [value[k] for k in sorted(value, key=int)]
    return list(value) if isinstance(value, list) else []


def session_for(client_secret) -> CustomerSession:
    for key, value in store.items():
        if key.startswith("customer_session:") and isinstance(client_secret, str) \
                and hmac.compare_digest(value.client_secret, client_secret):
            if value.expires_at < time.time():
                break
            return value
    raise invalid("The customer session client secret is invalid or has expired.",
                  code="resource_missing", param="customer_session_client_secret")


async def elements_session(request: web.Request) -> web.Response:
    """Sandbox-only stand-in for what Stripe.js fetches with a Customer Session's client
    secret: the features, and the saved cards the Payment Element may show."""
    data, _ = await read_params(request)
    session = session_for(data.get("customer_session_client_secret"))
    features = session.components["payment_element"]["features"]
    shown = [] if features["payment_method_redisplay"] != "enabled" else [
        pm._export() for pm in _saved(session.customer)
        if getattr(pm, "allow_redisplay", "unspecified")
        in features["payment_method_allow_redisplay_filters"] and pm.type == "card"]
    customer = store.get("customer:" + session.customer)
    default = (customer.invoice_settings or {}).get("default_payment_method") \
        if customer else None
    return json_response({"customer": session.customer, "features": features,
                          "payment_methods": shown, "default_payment_method": default})


ROUTES = [
    ("POST", "/v1/customers", create_customer),
    ("GET", "/v1/customers/{id}", retrieve_customer),
    ("POST", "/v1/customers/{id}", update_customer),
    ("GET", "/v1/customers/{id}/payment_methods", list_customer_payment_methods),
    ("GET", "/v1/customers/{id}/payment_methods/{pm}", retrieve_customer_payment_method),
    ("POST", "/v1/payment_methods/{id}/attach", attach_payment_method),
    ("POST", "/v1/payment_methods/{id}/detach", detach_payment_method),
    ("POST", "/v1/customer_sessions", create_customer_session),
    ("POST", "/v1/_elements/customer_session", elements_session),
]
