from flask import render_template

from ..services.orders.history import mail_order_link
from ..web import current_store
from . import bp
from .forms import LookupForm


@bp.route("/orders/lookup", methods=["GET", "POST"])
def lookup():
    form = LookupForm()
    if not form.validate_on_submit():
        return render_template("orders/lookup.html", form=form), 400 if form.errors else 200
    # One answer for every pair, right or wrong: only the order's own address hears which.
    mail_order_link(store_id=current_store().id, number=form.number.data,
                    email=form.email.data)
    return render_template("orders/lookup_sent.html")
