"""Paying on a provider's hosted page (Paystack, Flutterwave): the pay page's link to it, and
the shopper's return from it (the provider's ``callback_url`` / ``redirect_url``)."""

from flask import current_app, redirect, render_template, url_for

from ..models import Order, PaymentAttempt
from ..services.payments.errors import GatewayError
from ..services.payments.methods import LABELS
from ..services.payments.redirect import open_redirect_payment, settle_attempt
from ..services.payments.settle import attempt_for_order
from . import bp
from .views import _order_or_404, _state, no_store


def pay_on_provider(order: Order):
    """The pay page of an order paid on a hosted page: the link to it (a new attempt if the
    last one failed there), or what went wrong and "Try again"."""
    try:
        link = open_redirect_payment(order_id=order.id)
    except GatewayError as exc:
        current_app.logger.warning("hosted payment page could not open", exc_info=True)
        return no_store(render_template("orders/pay.html", order=order, page=None,
                                        refused=exc.permanent), 503)
    return no_store(render_template(
        "orders/pay_redirect.html", order=order, state=_state(order), link=link,
        provider=LABELS.get(order.payment_method, order.payment_method)))


@bp.get("/orders/<token>/return/<any(paystack, flutterwave):provider>")
def provider_return(token: str, provider: str):
    # Back from the hosted page: ask the provider (never the query string) and settle, as
    # the webhook does; the status page then shows (and polls) where the payment stands.
    order = _order_or_404(token)
    attempt = attempt_for_order(order.id)
    if attempt is not None and attempt.provider == provider:
        _settle(attempt, f"shopper:{order.email}")
    return no_store(redirect(url_for("orders.status", token=token), 303))


def _settle(attempt: PaymentAttempt, actor: str) -> None:
    try:
        settle_attempt(attempt_id=attempt.id, actor=actor)
    except GatewayError:
        # The webhook or reconciliation settles it; the status page keeps polling.
        current_app.logger.warning("settle on return failed", exc_info=True)
