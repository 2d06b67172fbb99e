"""SetupIntents: save a card without a payment, 3-D Secure included.

On success the PaymentMethod is attached to the intent's Customer, as Stripe does; a card
that asks for authentication waits in ``requires_action`` until the stand-in's dialog
answers through ``/_authenticate``.
"""

from __future__ import annotations

from aiohttp import web
from localstripe.resources import PaymentMethod, SetupIntent
from localstripe.server import unflatten_data

from .common import check_client_secret, emit, read_params, resolve_payment_method, respond
from .customers import _customer, attach
from .errors import StripeError, check_metadata, invalid, to_bool, unsupported_params
from .payments import AUTH_FAILURE_MESSAGE

CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
USAGES = ("on_session", "off_session")


async def create_setup_intent(request: web.Request) -> web.Response:
    data, expand = await read_params(request)
    unsupported_params(data, {"customer", "usage", "metadata", "automatic_payment_methods",
                              "payment_method_types", "description"})
    customer = _customer(data["customer"]).id if data.get("customer") else None
    usage = data.get("usage", "off_session")
    if usage not in USAGES:
        raise invalid(f"Invalid usage: must be one of {', '.join(USAGES)}", param="usage")
    seti = SetupIntent(customer=customer, usage=usage, payment_method_types=["card"],
                       metadata=check_metadata(data.get("metadata")))
    seti.description = data.get("description")
    seti.automatic_payment_methods = (None if "payment_method_types" in data
                                      else {"enabled": True, "allow_redirects": "always"})
    seti.last_setup_error = None
    seti.cancellation_reason = None
    emit("setup_intent.created", seti)
    return respond(seti, expand)


async def retrieve_setup_intent(request: web.Request) -> web.Response:
    seti = SetupIntent._api_retrieve(request.match_info["id"])
    query = unflatten_data(request.query)
    expand = query.pop("expand", None)
    check_client_secret(request, seti, query.get("client_secret"))
    return respond(seti, [expand] if isinstance(expand, str) else expand)


def _succeed(seti: SetupIntent, pm: PaymentMethod) -> None:
    if seti.customer:
        attach(pm, seti.customer)
    seti.status = "succeeded"
    seti.next_action = None
    seti.last_setup_error = None
    emit("setup_intent.succeeded", seti)


async def confirm_setup_intent(request: web.Request) -> web.Response:
    seti = SetupIntent._api_retrieve(request.match_info["id"])
    data, expand = await read_params(request)
    unsupported_params(data, {"payment_method", "return_url", "client_secret", "key",
                              "use_stripe_sdk", "mandate_data"})
    check_client_secret(request, seti, data.get("client_secret"))
    if seti.status not in CONFIRMABLE:
        raise invalid(f"You cannot confirm this SetupIntent because it has a status of "
                      f"{seti.status}.", code="setup_intent_unexpected_state")
    if data.get("payment_method"):
        seti.payment_method = resolve_payment_method(data["payment_method"]).id
    if seti.payment_method is None:
        raise invalid("You cannot confirm this SetupIntent because it's missing a payment "
                      "method.", code="setup_intent_unexpected_state", param="payment_method")
    pm = PaymentMethod._api_retrieve(seti.payment_method)
    if pm.customer is not None and pm.customer != seti.customer:
        raise invalid(f"No such PaymentMethod: '{pm.id}'", code="resource_missing",
                      param="payment_method")
    if pm._requires_authentication():
        seti.status = "requires_action"
        seti.next_action = {"type": "use_stripe_sdk",
                            "use_stripe_sdk": {"type": "three_d_secure_redirect",
                                               "stripe_js": ""}}
        emit("setup_intent.requires_action", seti)
        return respond(seti, expand)
    try:
        _succeed(seti, pm)
    except StripeError as exc:
        error = exc.body["error"]
        seti.payment_method = None
        seti.status = "requires_payment_method"
        seti.last_setup_error = {**error, "payment_method": pm._export()}
        emit("setup_intent.setup_failed", seti)
        raise StripeError(exc.code, error.pop("type"), error.pop("message"), **error,
                          setup_intent=seti._export()) from None
    return respond(seti, expand)


async def authenticate_setup_intent(request: web.Request) -> web.Response:
    """The stand-in for the bank's 3-D Secure page (``success=true|false``)."""
    seti = SetupIntent._api_retrieve(request.match_info["id"])
    data, expand = await read_params(request)
    unsupported_params(data, {"client_secret", "key", "success"})
    check_client_secret(request, seti, data.get("client_secret"), required=True)
    if seti.status != "requires_action":
        raise invalid(f"You cannot authenticate this SetupIntent because it has a status of "
                      f"{seti.status}.", code="setup_intent_unexpected_state")
    pm = PaymentMethod._api_retrieve(seti.payment_method)
    if to_bool(data.get("success", False), "success"):
        _succeed(seti, pm)
    else:
        seti.payment_method = None
        seti.next_action = None
        seti.status = "requires_payment_method"
        seti.last_setup_error = {
            "type": "invalid_request_error", "code": "setup_intent_authentication_failure",
            "message": AUTH_FAILURE_MESSAGE, "payment_method": pm._export()}
        emit("setup_intent.setup_failed", seti)
    return respond(seti, expand)


ROUTES = [
    ("POST", "/v1/setup_intents", create_setup_intent),
    ("GET", "/v1/setup_intents/{id}", retrieve_setup_intent),
    ("POST", "/v1/setup_intents/{id}/confirm", confirm_setup_intent),
    ("POST", "/v1/setup_intents/{id}/_authenticate", authenticate_setup_intent),
]
