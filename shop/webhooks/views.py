from flask import current_app, request

from ..extensions import csrf
from ..metrics import webhook_rejected, webhook_timer
from ..services.payments.errors import GatewayError, InvalidWebhook
from ..services.webhooks import provider_events
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


@bp.post("/webhooks/<any(paystack, flutterwave):provider>")
@csrf.exempt  # the provider's signature replaces the CSRF token
def provider_webhook(provider: str):
    payload = request.get_data(cache=False)
    try:
        event = provider_events.verify(provider, dict(request.headers.items()), payload)
    except InvalidWebhook as exc:
        webhook_rejected()
        return {"error": {"code": "invalid_signature", "message": str(exc)}}, 400
    try:
        with webhook_timer(f"{provider}:{event.raw_type}") as timing:
            outcome = timing["outcome"] = provider_events.handle(
                event, payload=payload.decode("utf-8"))
    except GatewayError as exc:
        # The provider could not be asked for the truth: it delivers again later.
        current_app.logger.warning("provider webhook deferred", extra={"code": exc.code})
        return {"error": {"code": "provider_unavailable", "message": str(exc)}}, 503
    return {"received": True, "outcome": outcome}, 200
