"""Issuing receipts and credit notes, inside the caller's transaction.

Numbers come from one counter row per store and kind (``document_counters``), taken with a
conditional UPDATE: the row stays locked until the issuing transaction ends, so concurrent
payments of one store queue for it, and a rollback gives the number back. Credit notes have
their own sequence: a receipt series with credit notes mixed in would read as gaps to an
accountant, and many tax authorities ask for invoices and credit notes in separate series.
The counter is always the last row a paying transaction locks (after the order and the
attempt), so it adds no lock-order cycle.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ...domain.pricing import method_label
from ...domain.receipts import Seller, card_method, credit_note_snapshot, receipt_snapshot
from ...models import Order, OrderLine, PaymentTransaction, RefundLine, Store, StoreSettings
from ...models.receipt import CREDIT_NOTE, RECEIPT, DocumentCounter, Receipt, document_label
from ...models.types import utcnow
from ...providers.stripe_objects import Charge


def next_number(session: Session, *, store_id: int, kind: str) -> int:
    """The store's next number for ``kind``; the counter row stays locked until commit."""
    bump = (update(DocumentCounter)
            .where(DocumentCounter.store_id == store_id, DocumentCounter.kind == kind)
            .values(last_number=DocumentCounter.last_number + 1)
            .returning(DocumentCounter.last_number)
            .execution_options(synchronize_session=False))
    number = session.execute(bump).scalar_one_or_none()
    if number is None:
        # A store made after the migration: its counter starts here (a racing twin's
        # insert wins, and both then queue on the UPDATE).
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(DocumentCounter).values(store_id=store_id, kind=kind,
                                                       last_number=0).on_conflict_do_nothing())
        number = session.execute(bump).scalar_one()
    return number


def seller_of(session: Session, store_id: int) -> Seller:
    """The store's legal details as they are now (frozen into each document issued)."""
    store = session.get_one(Store, store_id)
    row = session.get(StoreSettings, store_id)
    return Seller(name=(row and row.legal_name) or store.name,
                  address=(row and row.legal_address) or "", tax_id=(row and row.tax_id) or "")


def receipt_lines(session: Session, order: Order) -> list[dict]:
    """The order's lines as a receipt prints them: the one place they are read for one (a
    variant's name joins the product's here)."""
    rows = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)
                           .order_by(OrderLine.id))
    return [{"line_id": line.id, "name": line.name, "quantity": line.quantity,
             "unit_price": line.unit_price, "total": line.total} for line in rows]


def order_snapshot(session: Session, order: Order, *, label: str,
                   reference: str | None) -> dict:
    snapshot = receipt_snapshot(
        label=label, issued_at=utcnow(), order_number=order.number,
        seller=seller_of(session, order.store_id), buyer_name=order.ship_name,
        email=order.email, ship_to=order.ship_to_lines(),
        shipping_label=method_label(order.shipping_method), currency=order.currency,
        lines=receipt_lines(session, order), subtotal=order.subtotal, shipping=order.shipping,
        tax=order.tax, tax_rate_bp=order.tax_rate_bp, total=order.total, reference=reference)
    if order.payment_fee:  # cash on delivery's fee, already in the total
        snapshot["payment_fee"] = order.payment_fee
    return snapshot


def issue_receipt(session: Session, order: Order, *, reference: str | None,
                  charge: Charge | None, charge_id: str | None = None,
                  method: dict | None = None) -> Receipt:
    """The order's receipt, numbered and frozen now; the existing one if it has one.

    ``charge``: the paying charge, for the card's brand and last 4 digits when it carries
    them (a webhook's copy of the intent names its charge by id only, ``charge_id``: then
    the receipt job fills them in once, from that charge, before drawing the first e-mail).
    """
    existing = session.scalar(select(Receipt).where(Receipt.order_id == order.id,
                                                    Receipt.kind == RECEIPT))
    if existing is not None:
        return existing
    number = next_number(session, store_id=order.store_id, kind=RECEIPT)
    label = document_label(RECEIPT, number)
    receipt = Receipt(
        store_id=order.store_id, order_id=order.id, kind=RECEIPT, number=number,
        currency=order.currency, amount=order.total,
        snapshot={**order_snapshot(session, order, label=label, reference=reference),
                  "charge": charge.id if charge else charge_id},
        payment_method=method or (card_method(charge.card_brand, charge.card_last4)
                                  if charge else None))
    session.add(receipt)
    return receipt


def issue_credit_note(session: Session, order: Order, row: PaymentTransaction) -> Receipt | None:
    """A credit note for a refund that just succeeded, against the order's receipt; None for
    an order paid before receipts were issued (it has no receipt to correct)."""
    receipt = session.scalar(select(Receipt).where(Receipt.order_id == order.id,
                                                   Receipt.kind == RECEIPT))
    if receipt is None:
        return None
    number = next_number(session, store_id=order.store_id, kind=CREDIT_NOTE)
    label = document_label(CREDIT_NOTE, number)
    by_line = {line["line_id"]: line for line in receipt.snapshot["lines"]}
    given_back = session.execute(select(RefundLine.order_line_id, RefundLine.quantity)
                                 .where(RefundLine.transaction_id == row.id)
                                 .order_by(RefundLine.id)).all()
    lines = [{"name": by_line[line_id]["name"], "quantity": quantity}
             for line_id, quantity in given_back if line_id in by_line]
    note = Receipt(
        store_id=order.store_id, order_id=order.id, kind=CREDIT_NOTE, number=number,
        receipt_id=receipt.id, transaction_id=row.id, currency=row.currency, amount=row.amount,
        snapshot=credit_note_snapshot(label=label, receipt=receipt.snapshot,
                                      issued_at=utcnow(), amount=row.amount, lines=lines,
                                      reason=row.reason, reference=row.provider_reference),
        payment_method=receipt.payment_method)
    session.add(note)
    return note
