from flask import request

from ..extensions import csrf
from ..metrics import webhook_rejected, webhook_timer
from ..services.payments.errors import InvalidWebhook
from ..services.webhooks.events import handle_event, verify_event
from . import bp


@bp.post("/webhooks/stripe")
@csrf.exempt  # the Stripe signature replaces the CSRF token
def stripe_webhook():
    payload = request.get_data(cache=False)
    try:
        event = verify_event(payload, request.headers.get("Stripe-Signature"))
    except InvalidWebhook as exc:
        webhook_rejected()
        return {"error": {"code": "invalid_signature", "message": str(exc)}}, 400
    # A failure raises: recorded by the service, answered 500 so that Stripe retries.
    with webhook_timer(event["type"]) as timing:
        outcome = timing["outcome"] = handle_event(event, payload=payload.decode("utf-8"))
    return {"received": True, "outcome": outcome}, 200
