from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from ..auth.session import signed_in_user_id
from ..domain.states import PaymentStatus
from ..extensions import db
from ..models import Order
from ..services.cart.refill import NotRebuildable, rebuild_cart_from_order
from ..services.checkout.edit import editable
from ..services.payments.errors import GatewayError
from ..services.payments.methods import REDIRECT_PROVIDERS
from ..services.payments.page import Step, open_payment, reservation_lapsed
from ..services.payments.session_settle import settle_session
from ..services.payments.settle import attempt_for_order, settle_payment
from ..web import cart_token, current_store, remember_cart, shop_locale
from . import bp
from .forms import RebuildForm
from .messages import RESERVATION_EXPIRED, client_messages
from .presenter import (
    awaiting_checkout,
    describe,
    payment_label,
    refunded_amount,
    shop_contact,
    status_label,
    timeline,
)


def _order_or_404(token: str) -> Order:
    order = db.session.scalar(select(Order).where(
        Order.token == token, Order.store_id == current_store().id))
    if order is None:
        abort(404, description="We could not find that order. Check the link in your email.")
    return order


def no_store(response, status: int | None = None):
    response = make_response(response, status) if status else make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def _state(order: Order, checkout: str | None = None):
    state = describe(order, attempt_for_order(order.id), lapsed=reservation_lapsed(order))
    return awaiting_checkout(order, state) if checkout == "success" else state


@bp.get("/orders/<token>")
def status(token: str):
    order = _order_or_404(token)
    attempt = attempt_for_order(order.id)
    if request.args.get("session_id"):
        return _back_from_checkout(order, attempt, request.args["session_id"])
    intent_id = request.args.get("payment_intent")
    # Back from Stripe: ask Stripe (never the query string) and settle, as the webhook does.
    if (intent_id and attempt is not None and attempt.provider == "stripe"
            and intent_id == attempt.provider_reference):
        try:
            settle_payment(intent_id=intent_id, actor=f"shopper:{order.email}")
        except GatewayError:
            current_app.logger.warning("settle on return failed", exc_info=True)
        return redirect(url_for("orders.status", token=token), 303)
    return render_template("orders/status.html", order=order, attempt=attempt,
                           state=_state(order, request.args.get("checkout")),
                           steps=timeline(order), rebuild=RebuildForm(),
                           checkout=request.args.get("checkout"))


def _back_from_checkout(order: Order, attempt, session_id: str):
    # Back from Stripe's hosted page: ask Stripe about the session (never the query string)
    # and settle, as the webhook does; the page then polls while the bank decides.
    result = None
    if attempt is not None and session_id == attempt.session_id:
        try:
            result = settle_session(session_id=session_id, actor=f"shopper:{order.email}")
        except GatewayError:
            current_app.logger.warning("settle on return from Checkout failed", exc_info=True)
    # Not heard of yet (Stripe away, a lost race): the status page waits for the webhook.
    waiting = result is None or result.payment_status == PaymentStatus.UNPAID
    return redirect(url_for("orders.status", token=order.token,
                            checkout="success" if waiting else None), 303)


@bp.get("/orders/<token>/status.json")
def status_json(token: str):
    order = _order_or_404(token)
    state = _state(order, request.args.get("checkout"))
    return {"status": order.status, "payment_status": order.payment_status,
            "status_label": status_label(order), "payment_label": payment_label(order),
            "headline": state.headline, "detail": state.detail, "pending": state.pending,
            "error": state.error, "can_pay": state.can_pay, "lapsed": state.lapsed}


@bp.get("/orders/<token>/pay")
def pay(token: str):
    # no-store: Back after paying must ask us again, never show the old form from the cache.
    order = _order_or_404(token)
    state = _state(order)
    if order.payment_method == "stripe_checkout":
        return hosted.pay_on_stripe(order, state)
    if not (state.lapsed or state.can_pay or state.pending):
        return no_store(redirect(url_for("orders.status", token=token), 303))
    if order.payment_method in REDIRECT_PROVIDERS and not state.lapsed:
        return provider_pay.pay_on_provider(order)
    try:
        page = None if state.lapsed else open_payment(order_id=order.id,
                                                     user_id=signed_in_user_id())
    except GatewayError as exc:
        current_app.logger.warning("payment page could not open a payment", exc_info=True)
        return no_store(render_template("orders/pay.html", order=order, page=None,
                                        refused=exc.permanent), 503)
    if page is None or page.step == Step.LAPSED:
        flash(RESERVATION_EXPIRED, "error")
        return no_store(redirect(url_for("cart.show"), 303))
    if page.step == Step.SETTLED:  # a refresh after "Pay": never offer a second charge
        return no_store(redirect(url_for("orders.status", token=token), 303))
    return no_store(render_template(
        "orders/pay.html", order=order, page=page, state=_state(order),
        return_url=url_for("orders.status", token=token, _external=True),
        messages=client_messages(), editable=editable(order)))


@bp.post("/orders/<token>/rebuild")
def rebuild(token: str):
    order = _order_or_404(token)
    try:
        refill = rebuild_cart_from_order(
            store_id=order.store_id, order_id=order.id, cart_token=cart_token(),
            user_id=signed_in_user_id(), locale=shop_locale())
    except NotRebuildable as exc:
        flash(str(exc), "error")
        return redirect(url_for("orders.status", token=token), 303)
    assert refill.cart_token is not None, "a rebuild always leaves a cart"
    remember_cart(refill.cart_token)
    flash("We put the items of your order back in your cart." if refill.added
          else "None of the items of that order can be bought right now.",
          "success" if refill.added else "error")
    for note in refill.notes:
        flash(note, "info")
    return redirect(url_for("cart.show"), 303)


bp.add_app_template_global(status_label, "status_label")
bp.add_app_template_global(payment_label, "payment_label")
bp.add_app_template_global(refunded_amount, "refunded_amount")
bp.add_app_template_global(shop_contact, "shop_contact")

from . import hosted, lookup, provider_pay, receipts  # noqa: E402,F401
