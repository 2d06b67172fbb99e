"""``/api/receipts``: an order's receipts and credit notes, and each one's PDF, for API keys
(their store) and staff sessions (their stores); another store's is a 404."""

from flask import Blueprint, request, url_for

from ..documents_http import pdf_download
from ..domain.numbers import OutOfBounds, bounded_int
from ..extensions import csrf
from ..services.receipts.documents import document_in_store, documents_of, order_in_store
from .auth import authenticate, principal
from .errors import ApiError, api_error

bp = Blueprint("api_receipts", __name__, url_prefix="/api/receipts")
csrf.exempt(bp)
bp.before_request(authenticate)
bp.errorhandler(Exception)(api_error)


@bp.get("")
def index():
    try:
        order_id = bounded_int(request.args.get("order_id", ""))
    except OutOfBounds as exc:
        raise ApiError(400, "invalid_order_id", f"order_id {exc}.") from exc
    order = order_in_store(principal().store_ids, order_id)
    if order is None:
        raise ApiError(404, "not_found", "No such order in your store.")
    return {"order_id": order.id, "data": [
        {"number": doc.label, "kind": doc.kind, "amount": doc.amount, "currency": doc.currency,
         "issued_at": doc.issued_at.isoformat(),
         "pdf": url_for("api_receipts.pdf", label=doc.label)}
        for doc in documents_of(order.id)]}


@bp.get("/<label>.pdf")
def pdf(label: str):
    document = document_in_store(principal().store_ids, label)
    if document is None:
        raise ApiError(404, "not_found", "No such receipt or credit note in your store.")
    return pdf_download(document)
