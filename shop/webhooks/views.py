from flask import request

from ..extensions import csrf
from ..services.webhooks import handle_event
from ..stripe_gateway import InvalidWebhook, gateway
from . import bp


@bp.post("/webhooks/stripe")
@csrf.exempt  # the Stripe signature replaces the CSRF token
def stripe_webhook():
    payload = request.get_data(cache=False)
    try:
        event = gateway().verify_webhook(payload, request.headers.get("Stripe-Signature"))
    except InvalidWebhook as exc:
        return {"error": {"code": "invalid_signature", "message": str(exc)}}, 400
    outcome = handle_event(event)
    return {"received": True, "outcome": outcome}, 200
