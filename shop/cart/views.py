from flask import flash, redirect, render_template, url_for

from ..auth.session import signed_in_user_id
from ..domain.errors import DomainError
from ..services.cart import carts
from ..web import cart_token, current_store, remember_cart, safe_referrer
from . import bp
from .forms import AddToCartForm, UpdateCartForm


@bp.get("/cart")
def show():
    view = carts.view_cart(carts.find_cart(cart_token(), current_store().id))
    return render_template("cart/show.html", view=view)


@bp.post("/cart/add")
def add():
    form = AddToCartForm()
    product_id, variant_id = form.product_id_int(), form.variant_id()
    if not form.validate() or product_id is None or variant_id is False:
        flash(_first_error(form), "error")
        return redirect(safe_referrer() or url_for("storefront.index"), 303)
    try:
        cart = carts.add_to_cart(cart_token=cart_token(), store_id=current_store().id,
                                 product_id=product_id, variant_id=variant_id or None,
                                 quantity=form.quantity.data, user_id=signed_in_user_id())
    except DomainError as exc:
        flash(str(exc), "error")
        return redirect(safe_referrer() or url_for("storefront.index"), 303)
    remember_cart(cart.token)
    flash("Added to your cart.", "success")
    return redirect(url_for("cart.show"), 303)


@bp.post("/cart/update")
def update():
    form = UpdateCartForm()
    product_id, variant_id = form.product_id_int(), form.variant_id()
    token = cart_token()
    if not form.validate() or product_id is None or variant_id is False or not token:
        flash(_first_error(form), "error")
        return redirect(url_for("cart.show"), 303)
    try:
        carts.set_quantity(cart_token=token, store_id=current_store().id,
                           product_id=product_id, variant_id=variant_id or None,
                           quantity=form.quantity.data)
    except DomainError as exc:
        flash(str(exc), "error")
    else:
        flash("Your cart was updated." if form.quantity.data else "Removed from your cart.",
              "success")
    return redirect(url_for("cart.show"), 303)


def _first_error(form) -> str:
    for errors in form.errors.values():
        if errors:
            return errors[0] if isinstance(errors[0], str) else "Please check the form."
    if form.variant.data and form.variant_id() is False:
        return "That option is not available; please choose another."
    return "Your cart has expired; please add the product again."
