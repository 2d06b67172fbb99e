"""Helpers shared by the request handlers."""

from __future__ import annotations

import hmac
import re

from aiohttp import web
from localstripe.errors import UserError
from localstripe.resources import Event, PaymentIntent, PaymentMethod
from localstripe.server import get_post_data, json_response

from .errors import invalid, missing
from .events import dispatcher

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


async def read_params(request: web.Request) -> tuple[dict, list | None]:
    data = await get_post_data(request) or {}
    data = dict(data) if isinstance(data, dict) or hasattr(data, "keys") else {}
    expand = data.pop("expand", None)
    if isinstance(expand, str):
        expand = [expand]
    return data, expand


def respond(obj, expand: list | None = None) -> web.Response:
    return json_response(obj._export(expand=expand))


def emit(event_type: str, obj) -> None:
    dispatcher.schedule(Event(event_type, obj))


def check_client_secret(request: web.Request, pi, client_secret, *, required=False) -> None:
    """A publishable key is only good together with the PaymentIntent's client secret."""
    if client_secret is None:
        if required or request.get("auth") == "publishable":
            raise missing("client_secret")
        return
    if not isinstance(client_secret, str) or not hmac.compare_digest(client_secret,
                                                                     pi.client_secret):
        raise invalid("The client_secret provided does not match the client_secret associated "
                      "with the PaymentIntent.", code="payment_intent_invalid_parameter",
                      param="client_secret")


def resolve_payment_method(pm_id, param: str = "payment_method") -> PaymentMethod:
    if not isinstance(pm_id, str) or not pm_id.startswith(("pm_", "card_", "src_")):
        raise invalid(f"Invalid {param}: expected a PaymentMethod id (pm_...).", param=param)
    try:
        pm = PaymentMethod._api_retrieve(pm_id)
    except UserError:
        raise invalid(f"No such PaymentMethod: '{pm_id}'", code="resource_missing",
                      param=param) from None
    if getattr(pm, "type", None) not in ("card", "sepa_debit", "us_bank_account"):
        raise invalid("The sandbox supports card, sepa_debit and us_bank_account "
                      "PaymentMethods.", param=param)
    return pm


def check_email(value, param: str) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not _EMAIL.match(value):
        raise invalid(f"Invalid email address: {value}", code="email_invalid", param=param)
    return value


def new_payment_intent(*, amount: int, currency: str, metadata: dict, types: list[str],
                       dynamic: bool, capture_method: str = "automatic_async",
                       customer: str | None = None, payment_method: str | None = None,
                       description: str | None = None, receipt_email: str | None = None,
                       statement_descriptor: str | None = None,
                       statement_descriptor_suffix: str | None = None,
                       setup_future_usage: str | None = None) -> PaymentIntent:
    """A fresh intent with every field Stripe shows, as the API and Checkout both make it."""
    pi = PaymentIntent(amount=amount, currency=currency, customer=customer,
                       payment_method=payment_method, metadata=metadata,
                       capture_method=capture_method)
    pi.description = description
    pi.receipt_email = receipt_email
    pi.statement_descriptor = statement_descriptor
    pi.statement_descriptor_suffix = statement_descriptor_suffix
    pi.payment_method_types = types
    pi.automatic_payment_methods = {"enabled": True, "allow_redirects": "always"} \
        if dynamic else None
    pi.setup_future_usage = setup_future_usage
    pi.confirmation_method = "automatic"
    pi.canceled_at = None
    pi.cancellation_reason = None
    pi._sandbox_error = None
    return pi
