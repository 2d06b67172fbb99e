"""One order: its detail page and what staff can do to it.

Each action parses its form, calls one service with the staff member as actor, and either
redirects back (303) or shows the page again with the reason it was refused.
"""

from flask import flash, redirect, render_template, url_for

from ..domain.cancellation import CannotCancel
from ..domain.errors import IllegalTransition
from ..services.orders import fulfilment
from ..services.orders.detail import order_detail, plan_cancel
from ..services.orders.notes import add_note
from . import bp
from .access import admin, in_store
from .forms import ActionForm, ConfirmForm
from .forms.orders import NoteForm, ShipForm

REFUSED = "This order is {current}, so it cannot be {verb}."


def detail_page(order_id: int, status: int = 200, error: str | None = None, **forms):
    detail = in_store(order_detail, order_id=order_id)
    forms = {"ship_form": ShipForm(formdata=None), "note_form": NoteForm(formdata=None),
             "action_form": ActionForm(formdata=None), **forms}
    return render_template("admin/orders/detail.html", detail=detail, error=error,
                           **forms), status


def _done(order_id: int, message: str):
    flash(message, "success")
    return redirect(url_for("admin.order_detail", order_id=order_id), 303)


def _act(order_id: int, service, verb: str, message: str, **kwargs):
    """Run a state-changing ``service`` behind a CSRF-checked button."""
    if not ActionForm().validate_on_submit():
        return detail_page(order_id, 400, "The form expired. Please try again.")
    current = admin()
    try:
        in_store(service, order_id=order_id, actor=current.actor, **kwargs)
    except IllegalTransition as exc:
        return detail_page(order_id, 409, REFUSED.format(current=exc.current, verb=verb))
    return _done(order_id, message)


@bp.get("/orders/<int:order_id>", endpoint="order_detail")
def show_order(order_id: int):
    return detail_page(order_id)


@bp.post("/orders/<int:order_id>/fulfilling")
def mark_fulfilling(order_id: int):
    return _act(order_id, fulfilment.mark_fulfilling, "marked fulfilling",
                "Marked as being fulfilled.")


@bp.post("/orders/<int:order_id>/ready-for-shipment")
def mark_ready_for_shipment(order_id: int):
    return _act(order_id, fulfilment.mark_ready_for_shipment, "marked ready for shipment",
                "Marked as packed, ready for shipment.")


@bp.post("/orders/<int:order_id>/in-transit")
def mark_in_transit(order_id: int):
    return _act(order_id, fulfilment.mark_in_transit, "marked in transit",
                "Marked as handed to the carrier.")


@bp.post("/orders/<int:order_id>/delivered")
def mark_delivered(order_id: int):
    return _act(order_id, fulfilment.mark_delivered, "marked delivered", "Marked as delivered.")


@bp.post("/orders/<int:order_id>/ship")
def ship(order_id: int):
    form = ShipForm()
    if not form.validate_on_submit():
        return detail_page(order_id, 400, ship_form=form)
    try:
        in_store(fulfilment.ship, order_id=order_id, actor=admin().actor,
                 carrier=form.carrier.data, tracking_number=form.tracking_number.data)
    except IllegalTransition as exc:
        return detail_page(order_id, 409, REFUSED.format(current=exc.current, verb="shipped"),
                           ship_form=form)
    return _done(order_id, f"Shipped with {form.carrier.data} {form.tracking_number.data}.")


@bp.post("/orders/<int:order_id>/notes")
def add_order_note(order_id: int):
    form = NoteForm()
    if not form.validate_on_submit():
        return detail_page(order_id, 400, note_form=form)
    current = admin()
    in_store(add_note, order_id=order_id, author_id=current.user.id,
             author=current.user.email, body=form.body.data)
    return _done(order_id, "Note added.")


def _cancel_page(order_id: int, form: ConfirmForm, status: int = 200, error: str | None = None):
    plan = in_store(plan_cancel, order_id=order_id)
    label = (f"I understand that {plan.refund_owed} is not refunded by canceling and still "
             "has to be refunded." if plan.refund_owed else "Yes, cancel this order.")
    return render_template("admin/orders/cancel.html", plan=plan, form=form.with_label(label),
                           error=error or plan.blocked), status


@bp.get("/orders/<int:order_id>/cancel")
def cancel_confirm(order_id: int):
    return _cancel_page(order_id, ConfirmForm(formdata=None))


@bp.post("/orders/<int:order_id>/cancel")
def cancel(order_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _cancel_page(order_id, form, 400)
    try:
        outcome = in_store(fulfilment.cancel_order, order_id=order_id, actor=admin().actor)
    except (CannotCancel, IllegalTransition) as exc:
        return _cancel_page(order_id, form, 409, str(exc))
    message = "Order canceled."
    if outcome.refund_owed:
        message += f" Remember: {outcome.refund_owed} still has to be refunded."
    return _done(order_id, message)
