"""Mail to shoppers. Each message has a unique (order, kind) row, so a job that runs twice
sends once; every message links back to the order page."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import render_template
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ...domain.errors import DomainError
from ...domain.receipts import method_label
from ...domain.states import OrderStatus
from ...extensions import db
from ...links import external_url
from ...mail import Attachment, send_mail
from ...models import Order, SentEmail
from ..orders.errors import OrderNotFound
from ..payments.methods import PAID_BY_HAND
from ..payments.settle import attempt_for_order
from ..platform.audit import record_change
from ..platform.tx import write_transaction
from ..receipts.issue import order_snapshot
from .outbox import emit
from .receipts import receipt_pdf

log = logging.getLogger(__name__)

SHOP_NAME = "Bean & Leaf"
RECEIPT = "receipt"


class NotPaid(DomainError):
    code = "order_not_paid"
    status = 409


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


def order_link(order: Order) -> str:
    """The order's status page on BASE_URL (never on a request's Host)."""
    return external_url("orders.status", token=order.token)


def _render(name: str, order: Order, subject: str, **context) -> Mail:
    context.update(order=order, link=order_link(order), shop_name=SHOP_NAME, subject=subject)
    return Mail(subject, render_template(f"mail/{name}.txt", **context),
                render_template(f"mail/{name}.html", **context))


def _send_once(order_id: int, kind: str, build: Callable[[Order], Mail | None]) -> bool:
    """Send what ``build`` makes unless this (order, kind) was sent; False if nothing went."""
    if db.session.scalar(select(SentEmail.id).where(SentEmail.order_id == order_id,
                                                    SentEmail.kind == kind)):
        return False
    order = db.session.get(Order, order_id)
    if order is None:
        return False
    # Drawn before the transaction: no lock is held while the PDF is made.
    mail = build(order)
    if mail is None:
        return False
    recipient = order.email  # read before the transaction expires the order
    try:
        with write_transaction() as session:
            session.add(SentEmail(order_id=order_id, kind=kind, recipient=recipient,
                                  subject=mail.subject))
            session.flush()
            # Sent inside the transaction: if sending fails the row rolls back and the job is
            # retried; once committed, the unique row stops a second copy.
            send_mail(to=recipient, subject=mail.subject, text=mail.text, html=mail.html,
                      attachments=mail.attachments)
    except IntegrityError:
        return False
    log.info("mail sent", extra={"order_id": order_id, "kind": kind})
    return True


def _receipt(order: Order) -> Mail | None:
    """Drawn from the issued receipt's snapshot; an order paid before receipts were issued
    gets one drawn from its rows, unnumbered and not stored."""
    if order.paid_at is None:
        return None
    from ..receipts import documents  # receipts draw with this package's PDF module

    receipt = documents.receipt_of(order.id)
    if receipt is not None:
        receipt = documents.complete_payment_method(receipt)
        snapshot, method = receipt.snapshot, receipt.payment_method
    else:
        attempt = attempt_for_order(order.id)
        snapshot = order_snapshot(db.session(), order, label=f"INV-{order.number}",
                                  reference=attempt.provider_reference if attempt else None)
        method = None
    pdf = receipt_pdf(snapshot, method)
    mail = _render("receipt", order, f"Your order {order.number} is confirmed", r=snapshot,
                   paid_with=method_label(method))
    return Mail(mail.subject, mail.text, mail.html,
                (Attachment(f"receipt-{snapshot['label']}.pdf", pdf, "application/pdf"),))


def send_receipt(order_id: int, kind: str = RECEIPT) -> bool:
    """The payment receipt with its PDF; ``kind`` tells a staff resend from the first one."""
    return _send_once(order_id, kind, _receipt)


def send_order_closed(order_id: int, status: OrderStatus, *, by_staff: bool = False,
                      received: int = 0) -> bool:
    """Tell the shopper their order was canceled or expired (if it still is).

    ``by_staff``: the shop canceled it (an unpaid order was not simply left unpaid; a paid
    one is still owed its refund, which gets its own e-mail). ``received``: the part of a
    bank transfer that arrived before the order was canceled, to be paid back.
    """

    def build(order: Order) -> Mail | None:
        if order.status != status:
            return None  # paid meanwhile: the receipt says what happened
        return _render("order_closed", order, f"Your order {order.number} was {status.value}",
                       by_staff=by_staff, received=received)

    return _send_once(order_id, f"order_{status.value}", build)


def send_refund_notice(order_id: int, refund_ref: str, amount: int | None = None) -> bool:
    """Tell the shopper about a refund (``refund_ref`` = Stripe's refund id, sent once)."""

    def build(order: Order) -> Mail:
        from ..receipts import documents  # receipts draw with this package's PDF module

        note = documents.credit_note_for_refund(order.id, refund_ref)
        mail = _render("refund", order, f"Refund for your order {order.number}",
                       amount=note.amount if note else amount, refund_ref=refund_ref,
                       credit_note=note.label if note else None,
                       # Cash and transfers are paid back by staff, not to a card.
                       manual=order.payment_method in PAID_BY_HAND)
        if note is None:  # an order paid before receipts were kept has no credit note
            return mail
        pdf = Attachment(documents.filename_of(note), documents.pdf_of(note), "application/pdf")
        return Mail(mail.subject, mail.text, mail.html, (pdf,))

    return _send_once(order_id, f"refund:{refund_ref}", build)


def send_shipped_notice(order_id: int) -> bool:
    """Tell the shopper their parcel left, with the carrier's tracking link (sent once)."""

    # The carrier table lives with the order pages; imported here, not at the top, because
    # importing the orders blueprint package loads its views, which import the services.
    from ...domain.carriers import carrier_name, tracking_link

    def build(order: Order) -> Mail | None:
        if order.shipped_at is None:
            return None
        return _render("shipped", order, f"Your order {order.number} has shipped",
                       carrier=carrier_name(order.carrier),
                       tracking=tracking_link(order.carrier, order.tracking_number))

    return _send_once(order_id, "shipped", build)


def send_order_link(order_id: int) -> bool:
    """A guest's lookup matched: mail the order's link to the order's own address.

    Not once-only like the notices above (the shopper may ask again another day); the
    lookup's rate limits bound how often one address can be mailed.
    """
    order = db.session.get(Order, order_id)
    if order is None:
        return False
    mail = _render("order_link", order, f"The link to your order {order.number}")
    send_mail(to=order.email, subject=mail.subject, text=mail.text, html=mail.html)
    log.info("mail sent", extra={"order_id": order_id, "kind": "order_link"})
    return True


def resend_receipt(*, order_id: int, actor: str, store_id: int | None = None) -> str:
    """Staff: send the receipt again (audited); returns the new message's kind.

    ``store_id``: the caller's store; an order of another store is ``OrderNotFound``.
    """
    with write_transaction() as session:
        order = session.get(Order, order_id)
        if order is not None and store_id is not None and order.store_id != store_id:
            raise OrderNotFound("We could not find that order in this store.")
        if order is None or order.paid_at is None:
            raise NotPaid("Only a paid order has a receipt to resend.")
        sent = session.execute(select(func.count(SentEmail.id)).where(
            SentEmail.order_id == order_id, SentEmail.kind.like(f"{RECEIPT}%"))).scalar_one()
        kind = f"{RECEIPT}#{sent + 1}"
        record_change(session, store_id=order.store_id, entity_type="order",
                      entity_id=order.id, action="receipt_resent", from_state=None,
                      to_state=None, actor=actor, reason=f"to {order.email}")
        emit(session, "send_receipt", order_id=order_id, kind=kind)
    return kind
