"""Payment attempts started through the API, for orders whose earlier attempt ended."""

from __future__ import annotations

import secrets
from collections.abc import Collection

from sqlalchemy import select

from ...domain.errors import DomainError
from ...domain.ledger import NotFound
from ...domain.states import PAYMENT_UNPAID, AttemptStatus, OrderStatus
from ...extensions import db
from ...models import Order, PaymentAttempt
from ...providers.stripe_gateway import GatewayError
from ..platform.audit import record_change
from ..platform.tx import get_existing, lock_rows, write_transaction
from .history import note_attempt
from .ledger import CAPTURE_METHODS, configured_capture_method
from .settle import ensure_payment_intent

OPEN = (AttemptStatus.INITIATED, AttemptStatus.AUTHORIZING, AttemptStatus.AUTHORIZED,
        AttemptStatus.CAPTURED)


class AttemptExists(DomainError):
    """The order already has an attempt that is open or took money."""

    code = "attempt_exists"
    status = 409


class OrderNotPayable(DomainError):
    code = "order_not_payable"
    status = 409


def create_attempt(*, order_id: int, actor: str, capture_method: str | None = None,
                   store_ids: Collection[int] | None = None) -> PaymentAttempt:
    """A new INITIATED attempt for the order's total, and its PaymentIntent.

    The amount is the order's, never the caller's. If Stripe cannot be reached the attempt
    is kept with the error and its ``next_retry_at`` (reconciliation retries it).
    Raises ``NotFound``, ``OrderNotPayable`` or ``AttemptExists``.
    """
    method = capture_method or configured_capture_method()
    if method not in CAPTURE_METHODS:
        raise ValueError(f"unknown capture method {method!r}")
    with write_transaction() as session:
        order = session.scalar(lock_rows(select(Order).where(Order.id == order_id)))
        if order is None or (store_ids is not None and order.store_id not in store_ids):
            raise NotFound("No such order.")
        if order.status != OrderStatus.PENDING or order.payment_status not in PAYMENT_UNPAID:
            raise OrderNotPayable(f"Order {order.number} is {order.status} and "
                                  f"{order.payment_status}: it takes no new payment.")
        open_attempt = session.scalar(select(PaymentAttempt.id).where(
            PaymentAttempt.order_id == order.id, PaymentAttempt.status.in_(OPEN)))
        if open_attempt is not None:
            raise AttemptExists(f"Order {order.number} already has payment {open_attempt}.")
        attempt = PaymentAttempt(
            store_id=order.store_id, order_id=order.id, provider="stripe",
            status=AttemptStatus.INITIATED, amount=order.total, currency=order.currency,
            idempotency_key=f"pi-create-{secrets.token_hex(16)}", capture_method=method)
        session.add(attempt)
        session.flush()
        note_attempt(session, attempt, user_id=order.user_id)  # the order is locked
        record_change(session, store_id=order.store_id, entity_type="payment_attempt",
                      entity_id=attempt.id, action="payment_state_change", from_state=None,
                      to_state=attempt.status, actor=actor)
        attempt_id = attempt.id
    try:
        ensure_payment_intent(order_id=order_id)
    except GatewayError:
        pass  # counted on the attempt with its retry time by ensure_payment_intent
    return get_existing(db.session, PaymentAttempt, attempt_id)
