from flask import abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import select

from ..extensions import db
from ..models import Order
from ..services.payments import attempt_for_order, ensure_payment_intent, settle_payment
from ..stripe_gateway import GatewayError, gateway
from ..web import current_store
from . import bp
from .presenter import describe


def _order_or_404(token: str) -> Order:
    order = db.session.scalar(select(Order).where(
        Order.token == token, Order.store_id == current_store().id))
    if order is None:
        abort(404, description="We could not find that order. Check the link in your email.")
    return order


@bp.get("/orders/<token>")
def status(token: str):
    order = _order_or_404(token)
    attempt = attempt_for_order(order.id)
    intent_id = request.args.get("payment_intent")
    # Back from Stripe: ask Stripe (never the query string) and settle, as the webhook does.
    if intent_id and attempt is not None and intent_id == attempt.provider_reference:
        try:
            settle_payment(intent_id=intent_id, actor=f"shopper:{order.email}")
        except GatewayError:
            current_app.logger.warning("settle on return failed", exc_info=True)
        return redirect(url_for("orders.status", token=token), 303)
    return render_template("orders/status.html", order=order, attempt=attempt,
                           state=describe(order, attempt))


@bp.get("/orders/<token>/status.json")
def status_json(token: str):
    order = _order_or_404(token)
    state = describe(order, attempt_for_order(order.id))
    return {"status": order.status, "payment_status": order.payment_status,
            "headline": state.headline, "detail": state.detail, "pending": state.pending,
            "error": state.error}


@bp.get("/orders/<token>/pay")
def pay(token: str):
    order = _order_or_404(token)
    attempt = attempt_for_order(order.id)
    if not describe(order, attempt).can_pay:
        return redirect(url_for("orders.status", token=token), 303)
    try:
        attempt = ensure_payment_intent(order_id=order.id)
        client_secret = gateway().client_secret(attempt.provider_reference)
    except GatewayError:
        current_app.logger.warning("payment page could not reach Stripe", exc_info=True)
        return render_template("orders/pay.html", order=order, client_secret=None), 503
    return render_template(
        "orders/pay.html", order=order, client_secret=client_secret,
        return_url=url_for("orders.status", token=token, _external=True),
        state=describe(order, attempt))
