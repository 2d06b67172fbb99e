"""Stripe hosted Checkout (``payment_method=stripe_checkout``): the shopper pays on Stripe's page.

Starting is idempotent: an order's attempt gets one Checkout Session, created with the
attempt's own idempotency key and stored once; a reload or a repeated post returns its link
while it is open. A session that ended unpaid (expired while the stock is still reserved,
or its delayed payment failed) ends its attempt, and the next visit to the pay page makes a
new attempt with a new session. Lines, shipping and tax are the order's rows, priced when
the order was placed, never anything the browser sent.

The shopper comes back to ``/orders/<token>`` (``success_url``: the status page, which asks
Stripe and settles at once; ``cancel_url``: "nothing was charged", with a retry).
Settling lives in ``session_settle``.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from ...domain.states import PAYMENT_UNPAID, AttemptStatus, OrderStatus
from ...extensions import db
from ...links import external_url
from ...models import Order, PaymentAttempt
from ...models.types import utcnow
from ...providers.stripe_gateway import CheckoutLine, CheckoutSession, GatewayError, gateway
from ..inventory.holds import holds_end
from ..platform.audit import record_change
from ..platform.tx import get_existing, lock_rows, write_alone, write_transaction
from . import settle
from .completion import cancel_attempt
from .ledger import configured_capture_method
from .methods import PaymentMethodUnavailable, method_settings, offered_rule
from .session_settle import LIVE, apply_checkout_session, fetch_truth

log = logging.getLogger(__name__)

METHOD = "stripe_checkout"
# Stripe takes an expires_at 30 minutes to 24 hours after the session's creation. It is
# computed from the start of the current ten minutes, so that a repeat of the same create
# (a reload, a retry after a lost answer) sends the same parameters under the same key, as
# Stripe's idempotency requires; the margins cover the ten minutes and the request's time.
BUCKET = 600
MIN_LIFETIME = timedelta(minutes=42)
MAX_LIFETIME = timedelta(hours=23, minutes=48)


class SessionMismatch(GatewayError):
    """Stripe answered our key with a session of another attempt (never expected)."""


def status_url(order: Order, outcome: str) -> str:
    return external_url("orders.status", token=order.token, checkout=outcome)


def order_lines(order: Order) -> list[CheckoutLine]:
    """The order's rows as Checkout line items: each product line, then shipping and tax as
    the order has them, so that the hosted page's total is the order's to the cent."""
    lines = [CheckoutLine(line.name, line.unit_price, line.quantity)
             if line.unit_price * line.quantity == line.total
             else CheckoutLine(f"{line.name} × {line.quantity}", line.total, 1)
             for line in order.lines]
    if order.shipping:
        lines.append(CheckoutLine(f"Shipping ({order.shipping_method})", order.shipping, 1))
    if order.tax:
        lines.append(CheckoutLine("Tax", order.tax, 1))
    priced = sum(line.unit_amount * line.quantity for line in lines)
    if priced != order.total:
        raise ValueError(f"order {order.id}: lines add up to {priced}, not {order.total}")
    return lines


def _expires_at(order_id: int) -> int:
    """No later than the order's stock holds end, within Stripe's 30 minutes to 24 hours:
    a shorter reservation is ended by the hold-expiry job, which expires the session."""
    now = utcnow()
    start = datetime.fromtimestamp(int(now.timestamp()) // BUCKET * BUCKET, UTC)
    held_until = holds_end(db.session, order_id) or now
    ends = min(max(held_until, start + MIN_LIFETIME), start + MAX_LIFETIME)
    return int(ends.timestamp())


def _create(order: Order, attempt: PaymentAttempt) -> CheckoutSession:
    metadata = {"order_id": str(order.id), "order_number": order.number,
                "store_id": str(order.store_id), "attempt_id": str(attempt.id)}
    expires_at = _expires_at(order.id)
    return gateway().create_checkout_session(
        lines=order_lines(order), currency=order.currency,
        reference=f"order-{order.id}-attempt-{attempt.id}",
        # The attempt's key, and the expiry it was sent with (see BUCKET).
        idempotency_key=f"cs-{attempt.idempotency_key}-{expires_at}",
        success_url=status_url(order, "success") + "&session_id={CHECKOUT_SESSION_ID}",
        cancel_url=status_url(order, "canceled"), metadata=metadata,
        customer_email=order.email, expires_at=expires_at)


def _store(attempt_id: int, checkout: CheckoutSession) -> str:
    """Only the first writer stores its session (one conditional UPDATE); returns the link
    of the attempt's session. A racing writer's own session is expired: one attempt, one
    page that can take money."""
    stored = write_alone(
        update(PaymentAttempt)
        .where(PaymentAttempt.id == attempt_id, PaymentAttempt.session_id.is_(None))
        .values(session_id=checkout.id, redirect_url=checkout.url))
    if stored == 1:
        assert checkout.url is not None, "a new session is open"
        return checkout.url
    winner = db.session.scalars(select(PaymentAttempt).where(
        PaymentAttempt.id == attempt_id)).one()
    if winner.session_id != checkout.id:
        gateway().expire_checkout_session(checkout.id)
    if not winner.redirect_url:
        raise SessionMismatch("the attempt's Checkout Session has no link")
    return winner.redirect_url


def checkout_url(*, order_id: int) -> str:
    """Where the shopper pays this order: its open session's page, a new session when the
    last one ended unpaid, or the order's status page when there is nothing to pay.
    Raises ``GatewayError`` if Stripe is away."""
    order = get_existing(db.session, Order, order_id)
    attempt = settle.attempt_for_order(order_id)
    if attempt is not None and attempt.session_id:
        checkout, intent = fetch_truth(attempt.session_id)
        if checkout.status == "open" and checkout.url:
            return checkout.url
        with write_transaction() as session:  # catch up with Stripe, as the webhook would
            apply_checkout_session(session, checkout, intent, actor="shopper:payment-page")
        order = get_existing(db.session, Order, order_id)
        attempt = settle.attempt_for_order(order_id)
    if not _payable(order):
        return external_url("orders.status", token=order.token)
    if attempt is None or attempt.session_id or attempt.status != AttemptStatus.INITIATED:
        attempt = _new_attempt(order_id, actor="shopper:payment-page")
        if attempt is None:
            return external_url("orders.status", token=order.token)
    order = get_existing(db.session, Order, order_id)
    return _store(attempt.id, _create(order, attempt))


def _payable(order: Order) -> bool:
    return order.status == OrderStatus.PENDING and order.payment_status in PAYMENT_UNPAID


def _new_attempt(order_id: int, *, actor: str, end_current: bool = True,
                 method: str = METHOD) -> PaymentAttempt | None:
    """Open a new attempt for ``method`` (ending the order's unpaid one unless the caller
    ends it at Stripe itself); None if the order no longer takes a payment or its payment
    is under way (read under the order's lock)."""
    with write_transaction() as session:
        order = session.scalar(lock_rows(select(Order).where(Order.id == order_id)))
        current = session.scalar(lock_rows(
            select(PaymentAttempt).where(PaymentAttempt.order_id == order_id)
            .order_by(PaymentAttempt.id.desc()).limit(1)))
        if order is None or not _payable(order) or (current is not None
                                                    and current.status in LIVE):
            return None
        if end_current and current is not None:
            cancel_attempt(session, current, actor)
        if order.payment_method != method:
            record_change(session, store_id=order.store_id, entity_type="order",
                          entity_id=order.id, action="payment_method_change",
                          from_state=order.payment_method, to_state=method, actor=actor)
            order.payment_method = method
        attempt = PaymentAttempt(
            store_id=order.store_id, order_id=order.id, provider="stripe",
            status=AttemptStatus.INITIATED, amount=order.total, currency=order.currency,
            idempotency_key=f"pi-create-{secrets.token_hex(16)}",
            capture_method="automatic" if method == METHOD else configured_capture_method())
        session.add(attempt)
        session.flush()
        record_change(session, store_id=order.store_id, entity_type="payment_attempt",
                      entity_id=attempt.id, action="payment_state_change", from_state=None,
                      to_state=attempt.status, actor=actor)
    return attempt


def switch_to_checkout(*, order_id: int, actor: str) -> str:
    """The Payment Element could not load (Stripe.js blocked or down): pay the same order on
    Stripe's hosted page instead. Only while it is unpaid and no card payment is under way;
    the change of method is audited. The Element's PaymentIntent is canceled at Stripe (a
    second tab cannot pay it too) and settled; its cancel ends that attempt only. Returns
    the URL to send the shopper to; ``PaymentMethodUnavailable`` if the store does not
    offer hosted Checkout."""
    order = get_existing(db.session, Order, order_id)
    offered_rule(METHOD, method_settings(order.store_id))
    if order.payment_method == METHOD:
        return checkout_url(order_id=order_id)
    if order.payment_method != "stripe":
        raise PaymentMethodUnavailable("This order is paid another way.")
    previous = settle.attempt_for_order(order_id)
    intent_id = previous.provider_reference if previous is not None else None
    # The new attempt first: the old intent's cancel (its event may come at once) then
    # ends the old attempt only. Were it paid meanwhile, settling records that payment.
    if _new_attempt(order_id, actor=actor, end_current=intent_id is None) is None:
        return external_url("orders.status", token=order.token)
    if intent_id is not None:
        try:
            gateway().cancel_payment_intent(intent_id, reason="abandoned")
        except GatewayError as exc:
            log.info("PaymentIntent not canceled on switching to hosted Checkout",
                     extra={"payment_intent": intent_id, "code": exc.code})
        settle.settle_payment(intent_id=intent_id, actor=actor)
    return checkout_url(order_id=order_id)
