from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..orders.presenter import describe, timeline
from ..services.accounts.addresses import (
    TooManyAddresses,
    UnknownAddress,
    add_address,
    address_for,
    addresses_for,
    delete_address,
    set_default_address,
    update_address,
)
from ..services.orders.history import order_for_user, orders_for_user
from ..services.payments.page import reservation_lapsed
from ..services.payments.settle import attempt_for_order
from ..web import current_rates, current_store, query_page
from . import bp
from .forms import AddressForm, OrderFilterForm


@bp.get("/")
@login_required
def home():
    return redirect(url_for("account.orders"))


@bp.get("/orders")
@login_required
def orders():
    form = OrderFilterForm(request.args)
    if not form.validate():
        return render_template("account/orders.html", form=form, page=None), 400
    page = orders_for_user(
        user_id=current_user.id, store_id=current_store().id,
        page=query_page(),
        per_page=current_app.config["ACCOUNT_ORDERS_PER_PAGE"], status=form.status.data or None)
    return render_template("account/orders.html", form=form, page=page)


@bp.get("/orders/<int:number>")
@login_required
def order(number: int):
    found = order_for_user(user_id=current_user.id, store_id=current_store().id, number=number)
    if found is None:
        abort(404, description="We could not find that order in your account.")
    state = describe(found, attempt_for_order(found.id), lapsed=reservation_lapsed(found))
    return render_template("account/order.html", order=found, state=state,
                           steps=timeline(found))


def _addresses_page(form: AddressForm, error: str | None = None):
    return render_template("account/addresses.html", form=form, error=error,
                           addresses=addresses_for(current_user.id))


@bp.route("/addresses", methods=["GET", "POST"])
@login_required
def addresses():
    form = AddressForm().set_choices(current_rates(), home=current_store().country)
    if not form.validate_on_submit():
        return _addresses_page(form), 400 if form.errors else 200
    try:
        add_address(user_id=current_user.id, data=form.data_(),
                    make_default=form.is_default.data)
    except TooManyAddresses as exc:
        return _addresses_page(form, str(exc)), 409
    flash("Address saved.", "success")
    return redirect(url_for("account.addresses"), 303)


@bp.route("/addresses/<int:address_id>/edit", methods=["GET", "POST"])
@login_required
def edit_address(address_id: int):
    address = address_for(user_id=current_user.id, address_id=address_id)
    if address is None:
        abort(404, description="We could not find that address in your account.")
    form = AddressForm(obj=address).set_choices(current_rates())
    if not form.validate_on_submit():
        return render_template("account/address_edit.html", form=form, address=address), \
            400 if form.errors else 200
    update_address(user_id=current_user.id, address_id=address_id, data=form.data_(),
                   make_default=form.is_default.data)
    flash("Address updated.", "success")
    return redirect(url_for("account.addresses"), 303)


@bp.post("/addresses/<int:address_id>/delete")
@login_required
def remove_address(address_id: int):
    try:
        delete_address(user_id=current_user.id, address_id=address_id)
    except UnknownAddress:
        abort(404, description="We could not find that address in your account.")
    flash("Address removed.", "success")
    return redirect(url_for("account.addresses"), 303)


@bp.post("/addresses/<int:address_id>/default")
@login_required
def make_default(address_id: int):
    try:
        set_default_address(user_id=current_user.id, address_id=address_id)
    except UnknownAddress:
        abort(404, description="We could not find that address in your account.")
    flash("Default address changed.", "success")
    return redirect(url_for("account.addresses"), 303)
