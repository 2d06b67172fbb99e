"""Payments staff record by hand, each behind a confirmation page like the other money
actions: cash collected on delivery, a delivery refused, a bank transfer received."""

from flask import render_template

from ..domain.errors import DomainError, IllegalTransition
from ..domain.money import parse_money
from ..services.orders.detail import order_in_store
from ..services.payments.methods import LABELS
from ..services.payments.offline import record_cod_collected, record_cod_refused
from ..services.payments.transfers import order_balance, record_transfer
from ..web import shop_money
from . import bp
from .access import admin, in_store
from .forms import ConfirmForm
from .forms.offline import TransferForm
from .order_actions import _done

PAGES = {
    "cod_collected": ("I have the cash: {total} collected on delivery.",
                      "Record cash collected"),
    "cod_refused": ("The customer refused the parcel: cancel the order and put its items "
                    "back in stock.", "Cancel: delivery refused"),
}


def _page(kind: str, order_id: int, form, status: int = 200, error: str | None = None):
    order = in_store(order_in_store, order_id=order_id)
    label, button = PAGES.get(kind, ("I have checked the transfer on the account.", ""))
    if kind in PAGES:
        form.with_label(label.format(total=shop_money(order.total, order.currency)))
    else:
        form.with_label(label)
    balance = order_balance(order) if order.payment_method == "bank_transfer" else None
    return render_template(f"admin/orders/{kind}.html", order=order, form=form, error=error,
                           button=button, balance=balance,
                           method=LABELS.get(order.payment_method)), status


def _act(kind: str, order_id: int, service, message: str):
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _page(kind, order_id, form, 400)
    try:
        in_store(service, order_id=order_id, actor=admin().actor)
    except (DomainError, IllegalTransition) as exc:
        return _page(kind, order_id, form, getattr(exc, "status", 409), str(exc))
    return _done(order_id, message)


@bp.get("/orders/<int:order_id>/cod-collected")
def cod_collected_confirm(order_id: int):
    return _page("cod_collected", order_id, ConfirmForm(formdata=None))


@bp.post("/orders/<int:order_id>/cod-collected")
def cod_collected(order_id: int):
    return _act("cod_collected", order_id, record_cod_collected,
                "Cash recorded: the order is paid and the receipt is on its way.")


@bp.get("/orders/<int:order_id>/cod-refused")
def cod_refused_confirm(order_id: int):
    return _page("cod_refused", order_id, ConfirmForm(formdata=None))


@bp.post("/orders/<int:order_id>/cod-refused")
def cod_refused(order_id: int):
    return _act("cod_refused", order_id, record_cod_refused,
                "Delivery refused: the order is canceled and its items are back in stock.")


@bp.get("/orders/<int:order_id>/transfer-received")
def transfer_received_confirm(order_id: int):
    order = in_store(order_in_store, order_id=order_id)
    return _page("transfer_received", order_id,
                 TransferForm(formdata=None, currency=order.currency))


@bp.post("/orders/<int:order_id>/transfer-received")
def transfer_received(order_id: int):
    order = in_store(order_in_store, order_id=order_id)
    form = TransferForm(currency=order.currency)
    if not form.validate_on_submit():
        return _page("transfer_received", order_id, form, 400)
    try:
        outcome = in_store(record_transfer, order_id=order_id, actor=admin().actor,
                           amount=parse_money(form.amount.data, order.currency),
                           received_on=form.received_on.data, reference=form.reference.data)
    except DomainError as exc:
        return _page("transfer_received", order_id, form, getattr(exc, "status", 409),
                     str(exc))
    return _done(order_id, _received(outcome))


def _received(outcome) -> str:
    balance = outcome.balance
    if outcome.called_off:
        return ("This order was canceled: the transfer is recorded and flagged for a refund.")
    if balance.overpaid:
        return (f"Transfer recorded: the order is paid, and overpaid by "
                f"{shop_money(balance.overpaid, balance.currency)}, to refund.")
    if balance.owed:
        return (f"Transfer recorded: {shop_money(balance.owed, balance.currency)} is still "
                "owed.")
    return "Transfer recorded: the order is paid and the receipt is on its way."

