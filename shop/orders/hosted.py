"""Stripe hosted Checkout on the order pages: the pay page sends the shopper to the order's
Checkout Session, and a Payment Element page whose Stripe.js did not load can switch the
order to hosted Checkout (a POST: the order's way to pay changes, audited)."""

from flask import current_app, flash, redirect, render_template, url_for

from ..domain.errors import DomainError
from ..services.payments.errors import GatewayError
from ..services.payments.hosted_checkout import checkout_url, switch_to_checkout
from ..services.payments.methods import method_settings, offered_methods
from . import bp
from .forms import RebuildForm
from .messages import RESERVATION_EXPIRED
from .views import _order_or_404, no_store

HOSTED = "stripe_checkout"


def pay_on_stripe(order, state):
    """The pay page of a hosted-Checkout order: to its open session, or a new one."""
    if state.lapsed:
        flash(RESERVATION_EXPIRED, "error")
        return no_store(redirect(url_for("cart.show"), 303))
    if not (state.can_pay or state.pending):
        return no_store(redirect(url_for("orders.status", token=order.token), 303))
    try:
        return no_store(redirect(checkout_url(order_id=order.id), 303))
    except GatewayError as exc:
        current_app.logger.warning("no Checkout Session for the pay page", exc_info=True)
        return no_store(render_template("orders/pay.html", order=order, page=None,
                                        refused=exc.permanent), 503)


def offers_hosted(order) -> bool:
    """Whether the Payment Element page may offer hosted Checkout when Stripe.js fails."""
    return HOSTED in offered_methods(method_settings(order.store_id), order.currency)


@bp.post("/orders/<token>/pay/hosted")
def switch_to_hosted(token: str):
    order = _order_or_404(token)
    if not RebuildForm().validate_on_submit():  # only its CSRF token
        flash("Your session expired. Please try again.", "error")
        return redirect(url_for("orders.pay", token=token), 303)
    try:
        target = switch_to_checkout(order_id=order.id, actor=f"shopper:{order.email}")
    except DomainError as exc:
        flash(str(exc), "error")
        return redirect(url_for("orders.status", token=token), 303)
    except GatewayError:
        current_app.logger.warning("switch to hosted Checkout failed", exc_info=True)
        flash("We could not reach the payment service just now. Nothing was charged; "
              "please try again.", "error")
        return redirect(url_for("orders.status", token=token), 303)
    return no_store(redirect(target, 303))


bp.add_app_template_global(offers_hosted, "offers_hosted_checkout")
