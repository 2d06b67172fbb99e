"""Settling a Stripe Checkout Session: what the hosted page says, through the one settle path.

A session is only the page the shopper paid on; the money is its PaymentIntent, which
Stripe creates when the shopper pays. Once we know that intent it becomes the attempt's
``provider_reference`` and ``settle.apply_intent`` does everything else (ledger, order paid,
stock, receipt), so refunds, reconciliation and the ``payment_intent.*`` events work as for
the Payment Element, and the return page, ``checkout.session.*`` and ``payment_intent.*``
events reaching the same intent in any order have one effect.

What is the session's own: an expired (or abandoned) session ends its attempt, and the
order closes when its stock reservation is over too.
"""

from __future__ import annotations

import logging

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ...domain.states import PAYMENT_CAPTURED, AttemptStatus, OrderStatus
from ...extensions import db
from ...models import InventoryHold, Order, PaymentAttempt
from ...models.types import utcnow
from ...providers.stripe_gateway import CheckoutSession, GatewayError, Intent, gateway
from ..inventory import expiry
from ..inventory.holds import counting
from ..platform.tx import write_transaction
from . import settle
from .completion import cancel_attempt

log = logging.getLogger(__name__)

# The intent took or is taking the money: the order stays whatever the session says.
LIVE = frozenset({AttemptStatus.AUTHORIZING, AttemptStatus.AUTHORIZED, AttemptStatus.CAPTURED})


def _lock_by_session(session: Session, session_id: str):
    return settle.lock_order_and_attempt(session, PaymentAttempt.session_id == session_id)


def is_ours(session_id: str | None) -> bool:
    """Whether a session belongs to one of our attempts (the read is ended: a Stripe call
    may follow)."""
    ours = bool(session_id) and bool(db.session.scalar(
        select(exists().where(PaymentAttempt.session_id == session_id))))
    db.session.rollback()
    return ours


def fetch_truth(session_id: str) -> tuple[CheckoutSession, Intent | None]:
    """The session and its PaymentIntent (if the shopper got that far) as Stripe has them."""
    checkout = gateway().retrieve_checkout_session(session_id)
    intent = (gateway().retrieve_payment_intent(checkout.payment_intent_id)
              if checkout.payment_intent_id else None)
    return checkout, intent


def apply_checkout_session(session: Session, checkout: CheckoutSession, intent: Intent | None,
                           *, actor: str, close_as: OrderStatus | None = None
                           ) -> settle.Settlement | None:
    """Bring our attempt and order in line with ``checkout``; None if the session is not ours.

    ``close_as``: the caller ended the reservation (the hold-expiry job): an unpaid order
    closes as that. Without it an expired session closes its order only when the order's
    stock holds have lapsed too; otherwise (a reservation longer than Stripe's 24 hours)
    only the attempt ends and the pay page starts a new session.
    """
    order, attempt = _lock_by_session(session, checkout.id)
    if attempt is None:
        return None
    if intent is not None and not _link_intent(session, attempt, intent):
        return settle.Settlement(order.id, attempt.status, order.payment_status)
    result = (settle.apply_intent(session, intent, actor=actor,
                                  closed_as=close_as or OrderStatus.EXPIRED)
              if intent is not None else None)
    # Never while the page can still take money (an expire Stripe refused for another
    # reason): the attempt would end with a payment still possible on it.
    if checkout.status == "expired" or (close_as is not None and checkout.status != "open"):
        _end_unpaid(session, order, attempt, actor=actor, close_as=close_as)
    session.flush()
    if result is None:
        result = settle.Settlement(order.id, attempt.status, order.payment_status)
    result.attempt_status, result.payment_status = attempt.status, order.payment_status
    return result


def link_intent_by_metadata(session: Session, intent: Intent) -> bool:
    """A ``payment_intent.*`` event about an intent a Checkout Session made, arriving before
    the session's own event: the metadata we gave the session names the attempt. True if
    the intent is (now) an attempt's."""
    attempt_id = intent.metadata.get("attempt_id", "")
    if not attempt_id.isdigit():
        return False
    order, attempt = settle.lock_order_and_attempt(
        session, (PaymentAttempt.id == int(attempt_id)) & PaymentAttempt.session_id.is_not(None))
    if order is None or str(order.id) != intent.metadata.get("order_id"):
        return False
    return _link_intent(session, attempt, intent)


def linkable_intent(metadata: dict) -> bool:
    """Whether an unknown intent's metadata names a hosted-Checkout attempt without one."""
    attempt_id = str(metadata.get("attempt_id") or "")
    found = attempt_id.isdigit() and bool(db.session.scalar(select(exists().where(
        PaymentAttempt.id == int(attempt_id), PaymentAttempt.session_id.is_not(None),
        PaymentAttempt.provider_reference.is_(None)))))
    db.session.rollback()
    return found


def _link_intent(session: Session, attempt: PaymentAttempt, intent: Intent) -> bool:
    """Make ``intent`` the attempt's provider_reference (once; a session has one intent)."""
    if attempt.provider_reference == intent.id:
        return True
    if attempt.provider_reference is not None:
        log.error("checkout session reports another PaymentIntent than its attempt's",
                  extra={"attempt_id": attempt.id, "payment_intent": intent.id})
        return False
    attempt.provider_reference = intent.id
    session.flush()  # apply_intent finds the attempt by it
    return True


def _end_unpaid(session: Session, order: Order, attempt: PaymentAttempt, *, actor: str,
                close_as: OrderStatus | None) -> None:
    if attempt.status in LIVE or order.payment_status in PAYMENT_CAPTURED:
        return
    cancel_attempt(session, attempt, actor)
    current = settle.attempt_for_order(order.id)
    if current is not None and current.id != attempt.id:
        return  # a newer attempt (a new session, another method) pays for the order now
    target = close_as or (OrderStatus.EXPIRED if _holds_lapsed(session, order.id) else None)
    if target is not None and expiry.can_close(order):
        expiry.close_order(session, order, target=target, actor=actor,
                           reason="its Stripe Checkout page expired before it was paid"
                           if close_as is None else "its stock holds expired before it "
                           "was paid")


def _holds_lapsed(session: Session, order_id: int) -> bool:
    live = select(InventoryHold.id).where(InventoryHold.order_id == order_id,
                                          counting(utcnow()))
    return not session.scalar(select(exists(live)))


def settle_session(*, session_id: str, actor: str) -> settle.Settlement | None:
    """Ask Stripe for the session (and its intent) and apply it: the return page and
    reconciliation; the webhook does the same in its own transaction."""
    checkout, intent = fetch_truth(session_id)
    with write_transaction() as session:
        return apply_checkout_session(session, checkout, intent, actor=actor)


def close_session_order(*, attempt: PaymentAttempt, target: OrderStatus, actor: str) -> str:
    """The hold-expiry and unpaid-order path for a hosted-Checkout order: expire the session
    at Stripe so nobody can pay for stock that may be gone, then settle what Stripe says (a
    payment that won the race is recorded, not closed). ``closed`` or ``kept``; raises
    ``GatewayError`` if Stripe cannot be asked."""
    session_id = attempt.session_id
    assert session_id is not None, "a hosted-Checkout attempt has its session"
    try:
        gateway().expire_checkout_session(session_id)
    except GatewayError as exc:
        # Not open any more (paid, expired already): what it is now decides.
        log.info("checkout session not expired; settling it as it is",
                 extra={"checkout_session": session_id, "code": exc.code})
    checkout, intent = fetch_truth(session_id)
    with write_transaction() as session:
        result = apply_checkout_session(session, checkout, intent, actor=actor,
                                        close_as=target)
        order = session.get(Order, attempt.order_id)
    if result is not None and result.attempt_status in LIVE:
        return "kept"
    return "closed" if order is not None and order.status == target else "kept"
