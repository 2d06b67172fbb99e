"""A payment that lands on a hosted-page link (Paystack, Flutterwave) after we gave its attempt
up (its hold lapsed, or the provider reported a failure and the shopper went on).

Neither provider can cancel a link, so the money is real whatever we decided: the attempt takes
its one move out of an ended state (``hosted_attempt``: CANCELED/FAILED → CAPTURED), the ledger
gets its AUTH and CAPTURE rows, and then the Stripe path's rule for a payment that lands late:

- the order can still take it (not paid by another attempt, not canceled by a person): it is
  paid like any late Stripe payment (``complete_payment``: closed → paid, stock taken from what
  is free; if it is gone, "paid, out of stock" and the automatic refund), and any other link
  of the order still open is given up;
- otherwise (staff or an API key canceled the order, or another attempt already paid it;
  a success on a still-open attempt of an order paid meanwhile is treated the same):
  the payment status says paid while the shop holds the money, the order says why, and the
  ``refund_late_payment`` job gives it all back through the provider's refund API
  (``refunds/late_refunds.py``); the refund e-mail follows when the refund succeeds.

Run under the order's then the attempt's lock by the one settle path
(``redirect.apply_provider_payment``): whoever reports the payment second (the duplicate
webhook, the return, reconciliation) finds the attempt captured and does nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.states import (
    PAYMENT_CAPTURED,
    AttemptStatus,
    OrderStatus,
    PaymentStatus,
    attempt_path,
)
from ...models import AuditEvent, Order, PaymentAttempt
from ..notifications.outbox import emit
from ..platform.audit import record_change
from ..platform.tx import lock_rows
from .completion import cancel_attempt, complete_payment, move_attempt, move_payment
from .ledger import record_intent
from .settle import Settlement, Truth

LATE_PAYMENT = "paid_after_given_up"  # audit action on the order
REFUND_JOB = "refund_late_payment"
ENDED = (AttemptStatus.CANCELED, AttemptStatus.FAILED)
# Who closes an order on the shop's own account; anyone else (staff:, api_key:) decided to.
AUTOMATIC_ACTORS = ("system:", "job:", "webhook:", "shopper:")


def settle_late_payment(session: Session, order: Order, attempt: PaymentAttempt, truth: Truth,
                        *, actor: str) -> Settlement:
    """Record the late payment on the locked ``order`` and ``attempt`` and keep or refund it."""
    given_up = AttemptStatus(attempt.status)
    if given_up in ENDED:
        why = f"paid at {truth.provider} after the attempt was {given_up}"
        move_attempt(session, attempt, AttemptStatus.CAPTURED, actor, machine="hosted_attempt",
                     reason=why)
    else:
        why = f"paid at {truth.provider} on an open attempt after the order was paid"
        for step in attempt_path(given_up, AttemptStatus.CAPTURED):
            move_attempt(session, attempt, step, actor, reason=why)
    record_intent(session, attempt, truth.ledger, actor=actor)
    refusal = _why_not_kept(session, order)
    if refusal is None:
        record_change(session, store_id=order.store_id, entity_type="order",
                      entity_id=order.id, action=LATE_PAYMENT, from_state=None, to_state=None,
                      actor=actor, reason=f"{why}: the order takes it")
        move_payment(session, order, PaymentStatus.PAID, actor)
        complete_payment(session, order, reference=truth.reference, actor=actor)
        _give_up_other_links(session, order, attempt, actor)
    else:
        message = (f"Payment {attempt.provider_reference} {why}, and {refusal}: automatic "
                   "refund requested")
        order.add_attention(message)
        record_change(session, store_id=order.store_id, entity_type="order",
                      entity_id=order.id, action=LATE_PAYMENT, from_state=None, to_state=None,
                      actor=actor, reason=message)
        # The shop holds the money until the refund succeeds (then the ledger says refunded).
        move_payment(session, order, PaymentStatus.PAID, actor)
        emit(session, REFUND_JOB, attempt_id=attempt.id)
    return Settlement(order.id, attempt.status, order.payment_status)


def is_unwanted(order: Order, attempt: PaymentAttempt) -> bool:
    """Whether a success reported for ``attempt`` lands after its moment: the attempt was
    given up, or the order was paid meanwhile by another attempt."""
    return (attempt.status in ENDED
            or (attempt.status != AttemptStatus.CAPTURED and order.paid_at is not None))


def _give_up_other_links(session: Session, order: Order, attempt: PaymentAttempt,
                         actor: str) -> None:
    """The order is paid: another attempt's link still open (a retry after a failure) is given
    up, so that paying there too is a late payment, refunded, not a second charge kept."""
    others = session.scalars(lock_rows(select(PaymentAttempt).where(
        PaymentAttempt.order_id == order.id, PaymentAttempt.id != attempt.id,
        PaymentAttempt.status == AttemptStatus.INITIATED).order_by(PaymentAttempt.id))).all()
    for other in others:
        cancel_attempt(session, other, actor)


def _why_not_kept(session: Session, order: Order) -> str | None:
    """Why ``order`` cannot take a late payment, in words for staff; None if it can."""
    if order.paid_at is not None or PaymentStatus(order.payment_status) in PAYMENT_CAPTURED:
        return "the order was already paid"
    if order.status == OrderStatus.CANCELED and _canceled_by_a_person(session, order):
        return "the order was canceled by staff"
    if order.status not in (OrderStatus.PENDING, OrderStatus.EXPIRED, OrderStatus.CANCELED):
        return f"the order is {order.status}"
    return None


def _canceled_by_a_person(session: Session, order: Order) -> bool:
    actor = session.scalar(
        select(AuditEvent.actor)
        .where(AuditEvent.entity_type == "order", AuditEvent.entity_id == order.id,
               AuditEvent.to_state == OrderStatus.CANCELED)
        .order_by(AuditEvent.id.desc()).limit(1))
    return actor is not None and not actor.startswith(AUTOMATIC_ACTORS)
