from flask import redirect, render_template, url_for

from ..services.order_history import find_order
from ..web import current_store
from . import bp
from .forms import LookupForm

NOT_FOUND = ("We could not find an order with that number and email address. Check both "
             "against your confirmation email and try again.")


@bp.route("/orders/lookup", methods=["GET", "POST"])
def lookup():
    form = LookupForm()
    if not form.validate_on_submit():
        return render_template("orders/lookup.html", form=form), 400 if form.errors else 200
    order = find_order(store_id=current_store().id, number=form.number.data,
                       email=form.email.data)
    if order is None:
        # One message for every wrong pair: it never tells which half was wrong.
        return render_template("orders/lookup.html", form=form, error=NOT_FOUND), 404
    return redirect(url_for("orders.status", token=order.token), 303)
