"""The signed-in shopper's receipts, credit notes and payment history."""

from flask import abort, current_app, render_template, request
from flask_login import current_user, login_required

from ..documents_http import pdf_download
from ..models import Order
from ..services.orders.history import order_for_user
from ..services.payments.history import payment_history
from ..services.receipts.documents import credit_note_of, receipt_of
from ..web import current_store, query_page
from . import bp
from .forms import PaymentFilterForm


def _my_order(number: int) -> Order:
    found = order_for_user(user_id=current_user.id, store_id=current_store().id, number=number)
    if found is None:
        abort(404, description="We could not find that order in your account.")
    return found


@bp.get("/orders/<int:number>/receipt.pdf")
@login_required
def receipt_pdf(number: int):
    return pdf_download(receipt_of(_my_order(number).id))


@bp.get("/orders/<int:number>/credit-notes/<label>.pdf")
@login_required
def credit_note_pdf(number: int, label: str):
    return pdf_download(credit_note_of(_my_order(number).id, label))


@bp.get("/payments")
@login_required
def payments():
    form = PaymentFilterForm(request.args)
    if not form.validate():
        # A filter that cannot be read shows its message; nothing is listed as if it applied.
        return render_template("account/payments.html", form=form, page=None)
    since, before = form.bounds()
    page = payment_history(
        user_id=current_user.id, store_id=current_store().id, page=query_page(),
        per_page=current_app.config["ACCOUNT_ORDERS_PER_PAGE"],
        status=form.status.data or None, since=since, before=before)
    return render_template("account/payments.html", form=form, page=page)
