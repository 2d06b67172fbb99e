"""Saved cards: list, make default, remove, and add one through a SetupIntent."""

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
from flask_login import current_user, login_required

from ..services.accounts.payment_methods import (
    UnknownCard,
    finish_setup,
    remove_card,
    set_default_card,
    start_setup,
    wallet,
)
from ..services.payments.errors import GatewayError
from ..web import current_store
from . import bp

UNAVAILABLE = "We could not reach the payment service just now. Please try again in a moment."


def no_store(page: str):
    # The client secret and the card list must not outlive the page in a shared cache.
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


def _unavailable():
    current_app.logger.warning("saved cards: Stripe unavailable", exc_info=True)
    return render_template("account/payment_methods.html", wallet=None, error=UNAVAILABLE), 503


@bp.get("/payment-methods")
@login_required
def payment_methods():
    try:
        found = wallet(user_id=current_user.id, store_id=current_store().id)
    except GatewayError:
        return _unavailable()
    return no_store(render_template("account/payment_methods.html", wallet=found))


@bp.post("/payment-methods/<pm_id>/default")
@login_required
def default_payment_method(pm_id: str):
    try:
        card = set_default_card(user_id=current_user.id, store_id=current_store().id,
                                payment_method_id=pm_id)
    except UnknownCard as exc:
        abort(404, description=str(exc))
    except GatewayError:
        return _unavailable()
    flash(f"Your {card.brand.title()} ending in {card.last4} is now your default card.",
          "success")
    return redirect(url_for("account.payment_methods"), 303)


@bp.post("/payment-methods/<pm_id>/remove")
@login_required
def remove_payment_method(pm_id: str):
    try:
        card = remove_card(user_id=current_user.id, store_id=current_store().id,
                           payment_method_id=pm_id)
    except UnknownCard as exc:
        abort(404, description=str(exc))
    except GatewayError:
        return _unavailable()
    flash(f"Your {card.brand.title()} ending in {card.last4} was removed.", "success")
    return redirect(url_for("account.payment_methods"), 303)


@bp.get("/payment-methods/new")
@login_required
def new_payment_method():
    try:
        client_secret = start_setup(user_id=current_user.id, store_id=current_store().id)
    except GatewayError:
        return _unavailable()
    return no_store(render_template(
        "account/payment_method_new.html", client_secret=client_secret,
        return_url=url_for("account.payment_method_saved", _external=True)))


@bp.get("/payment-methods/new/done")
@login_required
def payment_method_saved():
    try:
        outcome = finish_setup(user_id=current_user.id, store_id=current_store().id,
                               setup_intent_id=request.args.get("setup_intent", "")[:200])
    except UnknownCard as exc:
        abort(404, description=str(exc))
    except GatewayError:
        return _unavailable()
    if outcome.status == "saved" and outcome.card:
        flash(f"Your {outcome.card.brand.title()} ending in {outcome.card.last4} is saved.",
              "success")
    elif outcome.status == "failed":
        flash(f"The card was not saved: {outcome.message}", "error")
        return redirect(url_for("account.new_payment_method"), 303)
    else:
        flash("Your bank is still checking the card; it appears here once it is saved.", "info")
    return redirect(url_for("account.payment_methods"), 303)
