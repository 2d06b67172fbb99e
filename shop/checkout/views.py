from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.session import signed_in_user_id
from ..domain.errors import DomainError, EmptyCart, OutOfStock, TooManyUnits
from ..domain.pricing import rates_for
from ..services.accounts.addresses import addresses_for
from ..services.cart import carts
from ..services.checkout.edit import OrderNotEditable, OrderOfAnotherCart, details_to_edit
from ..services.checkout.place import (
    PlacedOrder,
    StaleCheckout,
    TooManyOpenCheckouts,
    checkout_token_for,
    place_order,
)
from ..services.orders.errors import OrderNotFound
from ..services.payments.errors import GatewayError
from ..services.payments.methods import initial_method, method_settings, offered_methods
from ..services.payments.start import start_payment
from ..services.payments.supersede import cancel_superseded
from ..web import (
    cart_token,
    current_rates,
    current_store,
    query_int,
    shop_money,
    shopper_session_key,
)
from . import bp
from .forms import CheckoutForm
from .summary import checkout_summary


def _render(form: CheckoutForm, view, status: int = 200, error: str | None = None,
            chosen: int | None = None, headers: dict | None = None,
            editing: str | None = None):
    saved = addresses_for(current_user.id) if current_user.is_authenticated else []
    shown = None
    if current_user.is_authenticated and request.method == "GET" and editing is None:
        shown = form.prefill(current_user.email, saved, chosen)
    rates = current_rates()
    cod_fee = _offer_methods(form)
    return render_template("checkout/form.html", form=form, view=view, error=error,
                           rates=rates, saved=saved, shown=shown, editing=editing,
                           summary=checkout_summary(view, rates, *form.destination(),
                                                    cod_fee=cod_fee)), \
        status, headers or {}


@bp.get("/checkout")
def form():
    """The checkout form; ``?order=<token>`` fills it with that unpaid order's details, to
    change them (the order is replaced when the form is submitted)."""
    store_id, editing = current_store().id, request.args.get("order") or None
    view = _cart_view(store_id)
    try:
        details = editing and details_to_edit(
            store_id=store_id, order_token=editing, cart_id=view.cart and view.cart.id)
    except OrderNotFound:
        abort(404, description="We could not find that order. Check the link in your email.")
    except OrderNotEditable:
        return redirect(url_for("orders.status", token=editing), 303)
    except OrderOfAnotherCart as exc:
        flash(str(exc), "error")
        return redirect(url_for("orders.pay", token=editing), 303)
    if not view.lines:
        flash("Your cart is empty.", "info")
        return redirect(url_for("cart.show"), 303)
    checkout_form = CheckoutForm(checkout_token=checkout_token_for(view.cart))
    if details:
        checkout_form.fill(details)
    checkout_form.set_choices(current_rates(), home=current_store().country)
    return _render(checkout_form, view, chosen=query_int("address"), editing=editing)


@bp.post("/checkout")
def submit():
    store = current_store()
    # The cart's view is drawn only to show the form again (a placed order saves three
    # SELECTs). The countries served follow the store's currency, not its settings, which
    # place_order reads in its transaction.
    checkout_form = CheckoutForm().set_choices(rates_for(store.currency))
    if checkout_form.update_total.data:
        # "Update total" without JavaScript: the summary for the destination chosen, and the
        # form as it was sent; nothing is placed.
        valid = checkout_form.validate_destination()
        return _render(checkout_form, _cart_view(store.id), 200 if valid else 400)
    if not checkout_form.validate():
        return _render(checkout_form, _cart_view(store.id), 400)
    try:
        placed = place_order(
            store_id=store.id, cart_token=cart_token(),
            checkout_token=checkout_form.checkout_token.data, details=checkout_form.details(),
            client_ip=request.remote_addr, client_session=shopper_session_key(),
            user_id=signed_in_user_id(), save_address=checkout_form.save_address.data,
            payment_method=checkout_form.payment_method.data or None,
            store_country=store.country)
    except (StaleCheckout, EmptyCart) as exc:
        flash(str(exc), "error")
        has_lines = bool(_cart_view(store.id).lines)
        return redirect(url_for("checkout.form" if has_lines else "cart.show"), 303)
    except DomainError as exc:
        return _refused(checkout_form, store.id, exc)
    cancel_superseded(placed.superseded)
    return _start_payment(placed)


def _refused(checkout_form: CheckoutForm, store_id: int, exc: DomainError):
    """The form again, saying why the order was not placed (nothing was changed)."""
    view = _cart_view(store_id)
    if isinstance(exc, OutOfStock | TooManyUnits):
        return _render(checkout_form, view, 409, f"{exc} Please update your cart.")
    if isinstance(exc, TooManyOpenCheckouts):
        return _render(checkout_form, view, 429, str(exc),
                       headers={"Retry-After": str(exc.retry_after)})
    return _render(checkout_form, view, 422, str(exc))


def _offer_methods(form: CheckoutForm) -> int:
    """Offer the store's payment methods; returns cash on delivery's fee if it is one."""
    store = current_store()
    settings = method_settings(store.id)
    offered = offered_methods(settings, store.currency)
    # Cash on delivery's fee is said before the shopper chooses (the order adds it).
    labels = ({"cod": f"Cash on delivery (+{shop_money(settings.cod_fee, store.currency)} "
                      "fee)"} if settings.cod_fee else {})
    form.set_payment_choices(offered, initial_method(settings, offered), labels)
    return settings.cod_fee if "cod" in offered else 0


def _cart_view(store_id: int):
    return carts.view_cart(carts.find_cart(cart_token(), store_id))


def _start_payment(placed: PlacedOrder):
    try:
        return redirect(start_payment(placed), 303)
    except GatewayError:
        # The order is placed; its pay page starts the payment again (idempotent).
        current_app.logger.warning("payment start failed", exc_info=True,
                                   extra={"order_id": placed.order_id})
        return redirect(url_for("orders.pay", token=placed.token), 303)
