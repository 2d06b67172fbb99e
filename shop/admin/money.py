"""The actions that move money: capture, void, refund, and resending a receipt.

Each has a confirmation page whose box the server requires (no box, no action), calls one
service with the staff member as actor and the current store as scope, and on refusal
shows the page again with the reason at the top. A refund is reviewed first: the server
computes the amount, shows it, and refunds only that amount once confirmed.
"""

from flask import flash, redirect, render_template, request, url_for

from ..domain.money import minor_to_decimal
from ..domain.refund_policy import Refunder
from ..services.notifications.mail import resend_receipt
from ..services.orders.detail import order_in_store
from ..services.payments.admin import payment_view, preview_refund, refund_options
from ..services.payments.capture import capture_payment, void_payment
from ..services.refunds.refunds import MANUAL_PAYOUTS, refund_payment
from ..web import shop_money
from . import bp
from .access import admin, in_store
from .forms import ConfirmForm
from .forms.money import CaptureForm, VoidForm, refund_form
from .refusals import REFUSALS, refusal


def _done(order_id: int, message: str):
    flash(message, "success")
    return redirect(url_for("admin.order_detail", order_id=order_id), 303)


def _scope() -> dict:
    current = admin()
    return {"actor": current.actor, "store_ids": [current.store.id]}


@bp.get("/payments/<int:attempt_id>", endpoint="payment_detail")
def show_payment(attempt_id: int):
    return render_template("admin/payments/detail.html",
                           view=in_store(payment_view, attempt_id=attempt_id))


def _capture_page(attempt_id: int, form: CaptureForm | None = None, status: int = 200,
                  error: str | None = None):
    view = in_store(payment_view, attempt_id=attempt_id)
    attempt = view.ledger.attempt
    authorized = view.ledger.summary.authorized or attempt.amount
    form = form or CaptureForm(formdata=None, currency=attempt.currency, maximum=authorized,
                               data={"amount": minor_to_decimal(authorized, attempt.currency)})
    form.with_label("Yes, take this amount from the customer's card.")
    return render_template("admin/payments/capture.html", view=view, form=form,
                           authorized=authorized, error=error), status


@bp.get("/payments/<int:attempt_id>/capture")
def capture_confirm(attempt_id: int):
    return _capture_page(attempt_id)


@bp.post("/payments/<int:attempt_id>/capture")
def capture(attempt_id: int):
    view = in_store(payment_view, attempt_id=attempt_id)
    currency = view.ledger.attempt.currency
    form = CaptureForm(currency=currency, maximum=view.ledger.summary.authorized or None)
    if not form.validate_on_submit():
        return _capture_page(attempt_id, form, 400)
    try:
        row = capture_payment(attempt_id=attempt_id, amount=form.minor_amount(), **_scope())
    except REFUSALS as exc:
        return _capture_page(attempt_id, form, *refusal(exc, currency=currency,
                                                        verb="captured"))
    return _done(view.order.id, f"Captured {shop_money(row.amount, currency)}.")


def _void_page(attempt_id: int, form: VoidForm | None = None, status: int = 200,
               error: str | None = None):
    view = in_store(payment_view, attempt_id=attempt_id)
    form = (form or VoidForm(formdata=None)).with_label(
        "Yes, cancel this payment. The customer will not be charged.")
    return render_template("admin/payments/void.html", view=view, form=form,
                           error=error), status


@bp.get("/payments/<int:attempt_id>/void")
def void_confirm(attempt_id: int):
    return _void_page(attempt_id)


@bp.post("/payments/<int:attempt_id>/void")
def void(attempt_id: int):
    view = in_store(payment_view, attempt_id=attempt_id)
    form = VoidForm()
    if not form.validate_on_submit():
        return _void_page(attempt_id, form, 400)
    try:
        void_payment(attempt_id=attempt_id, reason=form.reason.data or None, **_scope())
    except REFUSALS as exc:
        return _void_page(attempt_id, form, *refusal(
            exc, currency=view.ledger.attempt.currency, verb="voided"))
    return _done(view.order.id, "Payment voided: the customer's card is not charged.")


def _refund_page(options, form, status: int = 200, error: str | None = None, preview=None):
    if preview is not None:
        # The amount the server computed is the one a confirmation can refund.
        form.expected.data = str(preview.amount)
    if error:
        form.confirm.data = False  # whatever changed, it is confirmed again
    return render_template("admin/payments/refund.html", options=options, form=form,
                           preview=preview, error=error), status


def _refund_setup(attempt_id: int, formdata=None):
    options = in_store(refund_options, attempt_id=attempt_id, user_id=admin().user.id)
    currency = options.view.ledger.attempt.currency
    lines = [option.line for option in options.lines]
    form = refund_form(lines, currency, formdata=formdata)
    if options.view.ledger.attempt.provider in MANUAL_PAYOUTS:
        form.confirm.label.text = ("I have paid this amount back to the customer myself: "
                                   "record the refund.")
    return options, form


@bp.get("/payments/<int:attempt_id>/refund")
def refund_confirm(attempt_id: int):
    options, form = _refund_setup(attempt_id)
    return _refund_page(options, form)


def _preview(options, form):
    return in_store(preview_refund, attempt_id=options.view.ledger.attempt.id,
                    user_id=admin().user.id, amount=form.minor_amount(),
                    lines=form.quantities(), restock=form.restock.data,
                    override_reason=form.override_reason.data)


@bp.post("/payments/<int:attempt_id>/refund")
def refund(attempt_id: int):
    options, form = _refund_setup(attempt_id, request.form)
    currency = options.view.ledger.attempt.currency
    if not form.validate_on_submit():
        return _refund_page(options, form, 400)
    try:
        preview = _preview(options, form)
    except REFUSALS as exc:
        return _refund_page(options, form, *refusal(exc, currency=currency, verb="refunded"))
    if request.form.get("step") != "refund" or not form.confirm.data \
            or form.expected_amount() is None:
        return _review(options, form, preview)
    try:
        row = refund_payment(
            attempt_id=attempt_id, lines=form.quantities(), amount=form.minor_amount(),
            reason=form.reason.data, note=form.note.data or None, restock=form.restock.data,
            override_reason=form.override_reason.data or None,
            expected_amount=form.expected_amount(), by=Refunder.user(admin().user.id),
            payout_reference=form.payout_reference.data or None, **_scope())
    except REFUSALS as exc:
        return _refund_page(options, form, *refusal(exc, currency=currency, verb="refunded"),
                            preview=preview)
    return _done(options.view.order.id, _refunded(row, restock=form.restock.data))


def _review(options, form, preview):
    """The review step; a post that asked to refund without the ticked box stays here."""
    if request.form.get("step") != "refund":
        return _refund_page(options, form, preview=preview)
    form.confirm.errors = ["Tick the box to confirm the amount, or go back to the order."]
    return _refund_page(options, form, 400, preview=preview)


def _refunded(row, *, restock: bool) -> str:
    amount = shop_money(row.amount, row.currency)
    if row.status == "succeeded":
        return f"Refunded {amount}." + (" The items are back in stock." if restock else "")
    # Paystack and Flutterwave confirm their refunds later too: name who was asked.
    who = "Stripe" if row.attempt.provider == "stripe" else row.attempt.provider.title()
    return (f"The refund of {amount} was sent to {who} and is pending; the order will show "
            f"it once {who} confirms it.")


def _receipt_page(order_id: int, form: ConfirmForm | None = None, status: int = 200,
                  error: str | None = None):
    order = in_store(order_in_store, order_id=order_id)
    form = (form or ConfirmForm(formdata=None)).with_label(
        f"Yes, e-mail the receipt to {order.email} again.")
    return render_template("admin/orders/resend_receipt.html", order=order, form=form,
                           error=error), status


@bp.get("/orders/<int:order_id>/receipt")
def resend_receipt_confirm(order_id: int):
    return _receipt_page(order_id)


@bp.post("/orders/<int:order_id>/receipt")
def resend_receipt_now(order_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _receipt_page(order_id, form, 400)
    try:
        in_store(resend_receipt, order_id=order_id, actor=admin().actor)
    except REFUSALS as exc:
        return _receipt_page(order_id, form, *refusal(exc, currency="USD", verb="sent"))
    return _done(order_id, "The receipt is on its way to the customer again.")
