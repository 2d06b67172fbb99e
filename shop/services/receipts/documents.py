"""Issued documents found again, drawn, and sent again.

Each finder is scoped by its caller's right to the order (the shopper's token or account,
the staff member's or API key's store): a document of anyone else's order is not found,
and the caller answers 404.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select, update

from ...domain.errors import DomainError
from ...domain.receipts import card_method
from ...extensions import db
from ...models import AuditEvent, Order, PaymentTransaction
from ...models.receipt import CREDIT_NOTE, RECEIPT, Receipt, parse_label
from ...models.types import utcnow
from ...providers.stripe_gateway import gateway
from ..notifications.outbox import emit
from ..notifications.receipts import credit_note_pdf, receipt_pdf
from ..platform.audit import record_change
from ..platform.tx import lock_rows, write_alone, write_transaction

RESENDS_PER_HOUR = 3
RESEND_ASKED = "receipt_resend_asked"  # audit action: the shopper asked from the status page


class NoReceipt(DomainError):
    code = "no_receipt"
    status = 409


class TooManyResends(DomainError):
    code = "too_many_resends"
    status = 429


def documents_of(order_id: int) -> list[Receipt]:
    """The order's receipt, then its credit notes in the order they were issued."""
    return list(db.session.scalars(select(Receipt).where(Receipt.order_id == order_id)
                                   .order_by(Receipt.kind.desc(), Receipt.number)))


def receipt_of(order_id: int) -> Receipt | None:
    return db.session.scalar(select(Receipt).where(Receipt.order_id == order_id,
                                                   Receipt.kind == RECEIPT))


def credit_note_of(order_id: int, label: str) -> Receipt | None:
    parsed = parse_label(label)
    if parsed is None or parsed[0] != CREDIT_NOTE:
        return None
    return db.session.scalar(select(Receipt).where(
        Receipt.order_id == order_id, Receipt.kind == CREDIT_NOTE, Receipt.number == parsed[1]))


def credit_note_for_refund(order_id: int, refund_ref: str) -> Receipt | None:
    """The credit note issued for the refund Stripe calls ``refund_ref``, if any."""
    return db.session.scalar(select(Receipt).join(
        PaymentTransaction, PaymentTransaction.id == Receipt.transaction_id).where(
        Receipt.order_id == order_id, Receipt.kind == CREDIT_NOTE,
        PaymentTransaction.provider_reference == refund_ref))


def document_in_store(store_ids: frozenset[int], label: str) -> Receipt | None:
    """A receipt or credit note by its printed number, among the caller's stores only."""
    parsed = parse_label(label)
    if parsed is None or not store_ids:
        return None
    kind, number = parsed
    return db.session.scalar(select(Receipt).where(
        Receipt.store_id.in_(store_ids), Receipt.kind == kind, Receipt.number == number)
        .order_by(Receipt.store_id).limit(1))


def order_in_store(store_ids: frozenset[int], order_id: int) -> Order | None:
    return db.session.scalar(select(Order).where(Order.id == order_id,
                                                 Order.store_id.in_(store_ids)))


def complete_payment_method(receipt: Receipt) -> Receipt:
    """Fill in the card of a receipt issued from a webhook's copy of the intent (which names
    its charge by id only): once, from Stripe's charge, never over a card already there.
    Raises ``GatewayError`` if Stripe is away (the mail job is tried again later)."""
    charge_id = receipt.snapshot.get("charge")
    if receipt.payment_method is not None or not charge_id:
        return receipt
    charge = gateway().retrieve_charge(charge_id)
    method = card_method(charge.card_brand, charge.card_last4) if charge else None
    if method is not None:
        receipt_id = receipt.id
        write_alone(update(Receipt).where(Receipt.id == receipt_id,
                                          Receipt.payment_method.is_(None))
                    .values(payment_method=method))
        return db.session.get_one(Receipt, receipt_id)
    return receipt


def pdf_of(document: Receipt) -> bytes:
    draw = receipt_pdf if document.kind == RECEIPT else credit_note_pdf
    return draw(document.snapshot, document.payment_method)


def filename_of(document: Receipt) -> str:
    word = "receipt" if document.kind == RECEIPT else "credit-note"
    return f"{word}-{document.label}.pdf"


def ask_resend(*, order_id: int, actor: str) -> int:
    """The shopper asks for the receipt again: through the outbox, at most RESENDS_PER_HOUR
    times an hour per order (counted under the order's row lock, so racing clicks cannot
    pass the limit). Returns how many more may be asked this hour."""
    with write_transaction() as session:
        order = session.scalar(lock_rows(select(Order).where(Order.id == order_id)))
        if order is None or session.scalar(select(Receipt.id).where(
                Receipt.order_id == order_id, Receipt.kind == RECEIPT)) is None:
            raise NoReceipt("This order has no receipt yet: it is issued once it is paid.")
        asked = session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.entity_type == "order", AuditEvent.entity_id == order_id,
            AuditEvent.action == RESEND_ASKED,
            AuditEvent.created_at > utcnow() - timedelta(hours=1))) or 0
        if asked >= RESENDS_PER_HOUR:
            raise TooManyResends(f"The receipt was already sent again {asked} times in the "
                                 "last hour. Please check your spam folder, or try later.")
        record_change(session, store_id=order.store_id, entity_type="order",
                      entity_id=order_id, action=RESEND_ASKED, from_state=None,
                      to_state=None, actor=actor, reason=f"to {order.email}")
        # Its own (order, kind) e-mail row: sent once, whatever a staff resend does meanwhile.
        emit(session, "send_receipt", order_id=order_id,
             kind=f"{RECEIPT}#shopper-{secrets.token_hex(6)}")
    return RESENDS_PER_HOUR - asked - 1
