"""The guest's receipt and credit notes, and asking for the receipt again, by order token."""

from flask import flash, redirect, url_for

from ..documents_http import pdf_download
from ..domain.errors import DomainError
from ..services.receipts.documents import ask_resend, credit_note_of, documents_of, receipt_of
from . import bp
from .views import _order_or_404


@bp.get("/orders/<token>/receipt.pdf")
def receipt_pdf(token: str):
    return pdf_download(receipt_of(_order_or_404(token).id))


@bp.get("/orders/<token>/credit-notes/<label>.pdf")
def credit_note_pdf(token: str, label: str):
    return pdf_download(credit_note_of(_order_or_404(token).id, label))


@bp.post("/orders/<token>/receipt/resend")
def resend_receipt(token: str):
    order = _order_or_404(token)
    try:
        left = ask_resend(order_id=order.id, actor=f"shopper:{order.email}")
    except DomainError as exc:
        flash(str(exc), "error")
        return redirect(url_for("orders.status", token=token), 303)
    flash(f"We are e-mailing your receipt to {order.email} again."
          + (f" You can ask {left} more time{'s' if left != 1 else ''} this hour." if left
             else ""), "success")
    return redirect(url_for("orders.status", token=token), 303)


bp.add_app_template_global(documents_of, "order_documents")
