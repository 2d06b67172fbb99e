"""Redirect providers (Paystack, Flutterwave): start a payment on their hosted page, and settle
what they report through the one settle path (``settle.apply_truth``).

Each attempt gets our own reference (``attempt.provider_reference``), sent to the provider
and unique per attempt: a failed reference is never reused, a retry is a new attempt. The
hosted page's link and session are kept on the attempt, so a reload or a repeated post goes
back to the same page. The provider's verify call is the truth; the shopper's return, the
webhook, reconciliation and hold expiry all ask it and apply the answer the same way.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import replace
from typing import TYPE_CHECKING

from flask import url_for
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ...domain.payment_methods.provider_settlement import plan_provider_moves, reported_mismatch
from ...domain.states import PAYMENT_UNPAID, AttemptStatus, OrderStatus
from ...extensions import db
from ...models import Order, PaymentAttempt
from ...providers.base import (
    PaymentRequest,
    PaymentStatus,
    ProviderError,
    ProviderPayment,
)
from ...providers.stripe_objects import Intent
from ..inventory.holds import holds_end
from ..platform.audit import record_change
from ..platform.tx import get_existing, lock_rows, write_alone, write_transaction
from .errors import GatewayError, as_gateway_error
from .late_payments import is_unwanted, settle_late_payment
from .methods import LABELS, provider_named
from .settle import Failure, Settlement, Truth, apply_truth, lock_order_and_attempt

if TYPE_CHECKING:
    from ..checkout.place import PlacedOrder

log = logging.getLogger(__name__)

# The attempt's words for what the provider reports (the ledger reads Stripe's).
_LEDGER_STATUS = {PaymentStatus.SUCCEEDED: "succeeded", PaymentStatus.CANCELED: "canceled",
                  PaymentStatus.AUTHORIZED: "requires_capture",
                  PaymentStatus.FAILED: "requires_payment_method",
                  PaymentStatus.PENDING: "requires_payment_method"}


class PaymentNotPossible(GatewayError):
    """The order takes no payment now (paid, closed, or another attempt is being paid)."""


def start_placed(placed: PlacedOrder) -> str:
    """The checkout's starter: the hosted page's URL, or the pay page if it cannot open now
    (that page says why and lets the shopper try again)."""
    try:
        return open_redirect_payment(order_id=placed.order_id)
    except GatewayError:
        log.warning("redirect payment could not start", exc_info=True,
                    extra={"order_id": placed.order_id})
        return url_for("orders.pay", token=placed.token)


def open_redirect_payment(*, order_id: int) -> str:
    """The link to the provider's hosted page for the order's open attempt.

    A stored link is given again (reload, repeated post). An attempt the provider reports
    failed is settled as failed and a new attempt, with a new reference, is started.
    Raises ``GatewayError`` (provider away or refusing) or ``PaymentNotPossible``.
    """
    attempt = _latest(order_id)
    if attempt is not None and attempt.status == AttemptStatus.INITIATED and attempt.redirect_url:
        link = attempt.redirect_url
        try:
            settled = settle_attempt(attempt_id=attempt.id, actor="shopper:payment-page")
        except GatewayError as exc:
            if not exc.retryable:
                raise
            return link  # the provider is away: its page may be reachable; paying settles it
        if settled is None or settled.attempt_status == AttemptStatus.INITIATED:
            return link
        attempt = _latest(order_id)
    if attempt is None or attempt.status != AttemptStatus.INITIATED:
        attempt = _new_attempt(order_id)
    return _start(attempt.id)


def _latest(order_id: int) -> PaymentAttempt | None:
    db.session.rollback()  # read what other writers committed since
    return db.session.scalar(select(PaymentAttempt).where(PaymentAttempt.order_id == order_id)
                             .order_by(PaymentAttempt.id.desc()).limit(1))


def _new_attempt(order_id: int) -> PaymentAttempt:
    """A new INITIATED attempt for the order's total, of the order's chosen method."""
    from .methods import PROVIDER_OF

    with write_transaction() as session:
        order = session.scalar(lock_rows(select(Order).where(Order.id == order_id)))
        assert order is not None, "the caller read the order's attempts"
        if order.status != OrderStatus.PENDING or order.payment_status not in PAYMENT_UNPAID:
            raise PaymentNotPossible(f"Order {order.number} takes no payment now.",
                                     code="order_not_payable")
        open_one = session.scalar(select(PaymentAttempt).where(
            PaymentAttempt.order_id == order_id,
            PaymentAttempt.status == AttemptStatus.INITIATED))
        if open_one is not None:
            return open_one  # a concurrent reload made it
        attempt = PaymentAttempt(
            store_id=order.store_id, order_id=order.id,
            provider=PROVIDER_OF[order.payment_method], status=AttemptStatus.INITIATED,
            amount=order.total, currency=order.currency,
            idempotency_key=f"redirect-{secrets.token_hex(16)}", capture_method="automatic")
        session.add(attempt)
        session.flush()
        record_change(session, store_id=order.store_id, entity_type="payment_attempt",
                      entity_id=attempt.id, action="payment_state_change", from_state=None,
                      to_state=attempt.status, actor="shopper:retry")
    return attempt


def _start(attempt_id: int) -> str:
    """Give the attempt its reference, then its hosted page at the provider; the link."""
    attempt = get_existing(db.session, PaymentAttempt, attempt_id)
    write_alone(update(PaymentAttempt).where(PaymentAttempt.id == attempt_id,
                                             PaymentAttempt.provider_reference.is_(None))
                .values(provider_reference=_reference_for(attempt)))
    attempt = get_existing(db.session, PaymentAttempt, attempt_id)
    db.session.refresh(attempt)
    if attempt.redirect_url:
        return attempt.redirect_url
    order = get_existing(db.session, Order, attempt.order_id)
    assert attempt.provider_reference is not None, "stored just above"
    request = PaymentRequest(
        reference=attempt.provider_reference, amount=attempt.amount, currency=attempt.currency,
        email=order.email,
        return_url=url_for("orders.provider_return", token=order.token,
                           provider=attempt.provider, _external=True),
        cancel_url=url_for("orders.provider_return", token=order.token,
                           provider=attempt.provider, cancelled=1, _external=True),
        metadata={"order_id": str(order.id), "attempt_id": str(attempt.id)},
        closes_at=holds_end(db.session, order.id))
    with provider_named(attempt.provider) as provider:
        try:
            step = provider.start_payment(request)
        except ProviderError as exc:
            if not _reference_taken(exc):
                raise as_gateway_error(exc) from exc
            # An earlier start reached the provider but its answer was lost: that link was
            # never shown, so nobody can pay on it. Start again under a fresh reference.
            request = replace(request, reference=_fresh_reference(attempt))
            try:
                step = provider.start_payment(request)
            except ProviderError as again:
                raise as_gateway_error(again) from again
    write_alone(update(PaymentAttempt).where(PaymentAttempt.id == attempt_id,
                                             PaymentAttempt.redirect_url.is_(None))
                .values(redirect_url=step.redirect_url,
                        session_id=step.provider_reference or None))
    stored = db.session.scalar(select(PaymentAttempt.redirect_url)
                               .where(PaymentAttempt.id == attempt_id))
    return stored or step.redirect_url or ""


def _reference_taken(exc: ProviderError) -> bool:
    return exc.code == "duplicate_reference" or "duplicate" in str(exc).lower()


def _reference_for(attempt: PaymentAttempt) -> str:
    """Ours, unique per attempt, in the characters both providers take."""
    return f"ord{attempt.order_id}-{attempt.id}-{secrets.token_hex(6)}"


def _fresh_reference(attempt: PaymentAttempt) -> str:
    reference = _reference_for(attempt)
    write_alone(update(PaymentAttempt).where(PaymentAttempt.id == attempt.id,
                                             PaymentAttempt.redirect_url.is_(None))
                .values(provider_reference=reference))
    return reference


def fetch_truth(provider_name: str, reference: str) -> ProviderPayment:
    """Verify ``reference`` at the provider; ``GatewayError`` if it cannot be asked."""
    with provider_named(provider_name) as provider:
        try:
            return provider.fetch_payment(reference)
        except ProviderError as exc:
            raise as_gateway_error(exc) from exc


def settle_attempt(*, attempt_id: int, actor: str,
                   closed_as: OrderStatus = OrderStatus.CANCELED,
                   give_up: bool = False) -> Settlement | None:
    """Ask the provider about the attempt's reference and apply the answer (return, pay
    page, reconciliation, a staff cancel with ``give_up``); None if it has no reference yet."""
    attempt = get_existing(db.session, PaymentAttempt, attempt_id)
    if not attempt.provider_reference:
        return None
    payment = fetch_truth(attempt.provider, attempt.provider_reference)
    with write_transaction() as session:
        return apply_provider_payment(session, attempt.provider, payment, actor=actor,
                                      closed_as=closed_as, give_up=give_up)


def _lock(session: Session, reference: str):
    return lock_order_and_attempt(session, PaymentAttempt.provider_reference == reference)


def apply_provider_payment(session: Session, provider_name: str, payment: ProviderPayment, *,
                           actor: str, closed_as: OrderStatus = OrderStatus.CANCELED,
                           give_up: bool = False) -> Settlement | None:
    """Apply what the provider reports of one of our references; None if not ours.

    ``give_up``: our hold lapsed and the provider still has no payment: the attempt is
    canceled (the order is closed by the caller, the expiry path)."""
    order, attempt = _lock(session, payment.reference)
    if attempt is None or attempt.provider != provider_name:
        return None
    if attempt.status == AttemptStatus.CAPTURED and payment.status == PaymentStatus.SUCCEEDED:
        # Applied already, with all that followed in that transaction (paid, or a late payment
        # kept or refunded): a second report (the return after the webhook, reconciliation)
        # must not complete the order again, e.g. revive one staff canceled.
        return Settlement(order.id, attempt.status, order.payment_status)
    label = LABELS.get(provider_name, provider_name)
    status = payment.status
    if give_up and status == PaymentStatus.PENDING:
        status = PaymentStatus.CANCELED
    mismatch = None
    if payment.status == PaymentStatus.SUCCEEDED:
        mismatch = reported_mismatch(provider=label, reported_amount=payment.amount,
                                     reported_currency=payment.currency,
                                     amount=attempt.amount, currency=attempt.currency)
    charge_ref = (f"{provider_name}:{payment.provider_reference}"
                  if payment.provider_reference else None)
    failure = None
    if status == PaymentStatus.FAILED:
        failure = Failure(payment.raw_status or "failed",
                          f"{label} reports the payment {payment.raw_status or 'failed'}.",
                          charge_ref or f"{provider_name}:{payment.reference}")
    amount = payment.amount if payment.amount is not None else attempt.amount
    ledger = Intent(id=payment.reference, status=_LEDGER_STATUS[status], amount=amount,
                    currency=attempt.currency, last_error=None, amount_received=amount,
                    latest_charge_id=charge_ref)
    truth = Truth(provider=label, reference=payment.reference,
                  moves=plan_provider_moves(AttemptStatus(attempt.status), status),
                  mismatch=mismatch, failure=failure, ledger=ledger,
                  canceled=status == PaymentStatus.CANCELED and not give_up)
    if status == PaymentStatus.SUCCEEDED and mismatch is None and is_unwanted(order, attempt):
        # Paid on the link after we gave the attempt up, or a second payment of a paid order
        # (a mismatch is flagged as ever).
        return settle_late_payment(session, order, attempt, truth, actor=actor)
    return apply_truth(session, order, attempt, truth, actor=actor, closed_as=closed_as)
