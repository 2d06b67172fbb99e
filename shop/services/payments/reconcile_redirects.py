"""Reconciliation of the hosted-page providers (Paystack, Flutterwave).

Each attempt still open after the stuck time is verified by its reference and the answer is
applied through the one settle path (a payment whose webhook never came is recorded as paid;
a failed one fails). One the provider still has no payment for, and whose stock holds have
lapsed, is given up through the hold-expiry path (``expiry.close_unpaid_order``): the attempt
is canceled, the order expired and its stock released. A pending refund with its id stored is
fetched and applied; one without (the call's answer was lost) is looked for in the provider's
list of the payment's refunds and adopted, or asked for again once, and then left to staff
(``refunds/lost_refunds.py``: these providers take no idempotency key).

A given-up attempt is verified again 1, 6 and 24 hours after it was given up
(``late_payment_pass``): a payment made on its link whose webhooks were all lost is found
then and goes the late-payment way (``late_payments.py``): three calls per abandoned
checkout, not one per run.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import exists, or_, select

from ...domain.ledger import TransactionStatus
from ...domain.states import AttemptStatus, OrderStatus
from ...extensions import db
from ...models import InventoryHold, PaymentAttempt, PaymentTransaction
from ..inventory import expiry
from ..inventory.holds import counting
from ..platform.tx import get_existing
from ..refunds.provider_refunds import fetch
from .errors import GatewayError
from .methods import REDIRECT_PROVIDERS
from .redirect import settle_attempt

if TYPE_CHECKING:
    from .reconciliation import Tally


def redirect_pass(tally: Tally, store_ids: Collection[int] | None, older_than: datetime,
                  actor: str, now: datetime | None = None) -> None:
    from .reconciliation import _flag

    query = (select(PaymentAttempt)
             .where(PaymentAttempt.provider.in_(REDIRECT_PROVIDERS),
                    PaymentAttempt.status == AttemptStatus.INITIATED,
                    PaymentAttempt.provider_reference.is_not(None),
                    PaymentAttempt.created_at < older_than)
             .order_by(PaymentAttempt.id))
    if store_ids is not None:
        query = query.where(PaymentAttempt.store_id.in_(list(store_ids)))
    for attempt in db.session.scalars(query).all():
        tally.examined += 1
        attempt_id, order_id = attempt.id, attempt.order_id
        try:
            result = settle_attempt(attempt_id=attempt_id, actor=actor)
            if result is not None and result.attempt_status != AttemptStatus.INITIATED:
                tally.fixed += 1
            elif _holds_lapsed(order_id, now or older_than):
                closed = expiry.close_unpaid_order(order_id=order_id,
                                                   target=OrderStatus.EXPIRED, actor=actor,
                                                   reason=expiry.REASON)
                tally.fixed += closed == "closed"
        except GatewayError as exc:
            tally.flagged += 1
            _flag(get_existing(db.session, PaymentAttempt, attempt_id),
                  f"Payment {attempt.provider_reference} could not be verified at "
                  f"{attempt.provider}: {exc}")


# After we gave an attempt up, when its link is asked about again.
LATE_CHECKS = (timedelta(hours=1), timedelta(hours=6), timedelta(hours=24))
# An attempt is given up when its order's holds lapse, within hours of its creation: only
# attempts this recent are looked at (the created_at index), not every ended attempt.
GIVEN_UP_WITHIN = timedelta(days=3)


def late_payment_pass(tally: Tally, store_ids: Collection[int], since: datetime | None,
                      until: datetime, actor: str) -> None:
    """Verify the given-up attempts that reached one of ``LATE_CHECKS`` after they were given
    up (``updated_at``: an ended attempt changes no more) between the store's previous run,
    ``since`` (None: none yet, the last day), and ``until``."""
    from .reconciliation import _flag

    since = since or until - LATE_CHECKS[-1]
    reached = or_(*(PaymentAttempt.updated_at.between(since - check, until - check)
                    for check in LATE_CHECKS))
    query = (select(PaymentAttempt.id)
             .where(PaymentAttempt.provider.in_(REDIRECT_PROVIDERS),
                    PaymentAttempt.status.in_([AttemptStatus.CANCELED, AttemptStatus.FAILED]),
                    PaymentAttempt.provider_reference.is_not(None),
                    PaymentAttempt.store_id.in_(list(store_ids)),
                    PaymentAttempt.created_at > since - LATE_CHECKS[-1] - GIVEN_UP_WITHIN,
                    reached)
             .order_by(PaymentAttempt.id))
    for attempt_id in db.session.scalars(query).all():
        tally.examined += 1
        try:
            result = settle_attempt(attempt_id=attempt_id, actor=actor)
        except GatewayError as exc:
            tally.flagged += 1
            attempt = get_existing(db.session, PaymentAttempt, attempt_id)
            _flag(attempt, f"Payment {attempt.provider_reference} could not be checked again "
                           f"at {attempt.provider} after it was given up: {exc}")
            continue
        tally.fixed += result is not None and result.attempt_status == AttemptStatus.CAPTURED


def _holds_lapsed(order_id: int, now: datetime) -> bool:
    holds = select(InventoryHold.id).where(InventoryHold.order_id == order_id)
    return bool(db.session.scalar(select(exists(holds)))) and not db.session.scalar(
        select(exists(holds.where(counting(now)))))


def settle_provider_refund(row: PaymentTransaction, actor: str, older_than: datetime) -> bool:
    """A pending refund at a hosted-page provider: fetched and applied if its id is known;
    else (its answer was lost) found in the provider's list, or asked for again once."""
    from ..refunds.lost_refunds import resolve_lost_refund
    from ..refunds.refunds import apply_refund

    row_id = row.id
    refund = (fetch(row) if row.provider_reference
              else resolve_lost_refund(row_id, actor=actor, busy_since=older_than))
    if refund is None:
        return False  # another run is asking for it again right now
    apply_refund(transaction_id=row_id, refund=refund, actor=actor)
    return (get_existing(db.session, PaymentTransaction, row_id).status
            != TransactionStatus.PENDING)
