"""A Paystack or Flutterwave refund whose answer was lost (the call timed out or the connection
dropped): its REFUND row is pending with no refund id, and the provider may or may not have
made it. Neither provider takes an idempotency key, so asking again blindly could refund twice.

So the provider's own list of the payment's refunds is asked first, and ours is adopted if it
is there: the one whose note names our row (``provider_refunds.refund_note``), else the only
one of our amount made since our claim that no other row of ours holds. Only when none is there
is the refund asked for again, once: the row's idempotency key is marked in a conditional
UPDATE before the call, so two runs at once ask once between them, and a row already asked
again is flagged for staff instead of a third call. Several refunds that could each be ours
are flagged too, never guessed.

Reconciliation adopts and asks again; a refund webhook only adopts (the call may still be
under way when the event arrives).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ...domain.ledger import TransactionKind, TransactionStatus
from ...extensions import db
from ...models import AuditEvent, PaymentTransaction
from ...providers.base import ProviderError, ProviderRefund
from ...providers.stripe_objects import Refund
from ..payments.errors import GatewayError, as_gateway_error
from ..payments.methods import provider_named
from ..platform.audit import record_change
from ..platform.tx import get_existing, rows_matched, write_transaction
from .provider_refunds import NOTE_PREFIX, as_refund

log = logging.getLogger(__name__)

ASKED_AGAIN = "-again"  # the idempotency key's mark once the refund was asked for again
REFUND_ASKED_AGAIN = "refund_asked_again"  # audit action
# How much earlier than our claim the provider's clock may date the refund.
CLOCK_SKEW = timedelta(minutes=5)
_NOTE = re.compile(rf"^{re.escape(NOTE_PREFIX)}(\d+)(?::|$)")


class RefundUnknown(GatewayError):
    """The refund's outcome cannot be settled without staff (asked again already, or several
    of the provider's refunds could be ours)."""


def noted_row(note: str) -> int | None:
    """The REFUND row a refund's note names, if the shop wrote it."""
    match = _NOTE.match(note or "")
    return int(match.group(1)) if match else None


def pick(row: PaymentTransaction, listed: list[ProviderRefund],
         held: set[str]) -> ProviderRefund | None:
    """Ours among ``listed`` (``held``: refund ids other rows of ours already hold).

    Raises ``RefundUnknown`` when more than one could be ours."""
    free = [r for r in listed if r.refund_id not in held]
    named = [r for r in free if noted_row(r.note) == row.id]
    if named:
        return named[0]
    since = row.created_at - CLOCK_SKEW
    alike = [r for r in free if noted_row(r.note) is None and r.amount == row.amount
             and (r.created_at is None or r.created_at >= since)]
    if len(alike) > 1:
        raise RefundUnknown(f"{len(alike)} refunds of {row.amount} at the provider could be "
                            f"refund {row.id}: check them before refunding again",
                            code="refund_ambiguous")
    return alike[0] if alike else None


def find_lost_refund(row: PaymentTransaction) -> Refund | None:
    """The provider's refund that a pending row with no refund id stands for; None if the
    provider has none. ``GatewayError`` if it cannot be asked."""
    attempt = row.attempt
    assert attempt.provider_reference, "a refunded hosted-page payment has its reference"
    held = {ref.partition(":")[2] for ref in db.session.scalars(
        select(PaymentTransaction.provider_reference).where(
            PaymentTransaction.attempt_id == attempt.id,
            PaymentTransaction.kind == TransactionKind.REFUND,
            PaymentTransaction.id != row.id,
            PaymentTransaction.provider_reference.is_not(None))) if ref}
    with provider_named(attempt.provider) as client:
        try:
            listed = client.list_refunds(attempt.provider_reference,
                                         currency=attempt.currency)
        except ProviderError as exc:
            raise as_gateway_error(exc) from exc
    found = pick(row, listed, held)
    if found is not None:
        log.info("lost refund answer found at the provider",
                 extra={"transaction_id": row.id, "refund_id": found.refund_id})
    return as_refund(attempt.provider, found) if found is not None else None


def resolve_lost_refund(row_id: int, *, actor: str, busy_since: datetime) -> Refund | None:
    """Reconciliation's answer for a pending row with no refund id: the refund found at the
    provider, or the one asked for again now (once); None while another run is asking again
    (it did so after ``busy_since``, the run's stuck time). Raises ``RefundUnknown`` when it
    was asked again before that and is still not there, ``GatewayError`` if the provider is
    away."""
    from .refunds import claim_for, issue_refund

    row = get_existing(db.session, PaymentTransaction, row_id)
    found = find_lost_refund(row)
    if found is not None:
        return found
    if not _claim_second_ask(row_id, actor):
        if _asked_again_since(row_id, busy_since):
            return None  # a concurrent run is asking: the next run sees its answer
        raise RefundUnknown(f"refund {row_id} was asked for again once and the provider still "
                            "has no such refund: check the payment there before refunding",
                            code="refund_unknown")
    claim = claim_for(get_existing(db.session, PaymentTransaction, row_id))
    log.warning("lost refund not at the provider: asking again once",
                extra={"transaction_id": row_id})
    return issue_refund(claim)


def _asked_again_since(row_id: int, since: datetime) -> bool:
    db.session.rollback()
    return db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.entity_type == "payment_transaction", AuditEvent.entity_id == row_id,
        AuditEvent.action == REFUND_ASKED_AGAIN, AuditEvent.created_at >= since)
        .limit(1)) is not None


def _claim_second_ask(row_id: int, actor: str) -> bool:
    """Mark the row asked-again, in one conditional UPDATE that only one caller wins."""
    with write_transaction() as session:
        row = get_existing(session, PaymentTransaction, row_id)
        key = row.idempotency_key or f"refund-{row_id}"
        won = rows_matched(session, (
            update(PaymentTransaction)
            .where(PaymentTransaction.id == row_id,
                   PaymentTransaction.status == TransactionStatus.PENDING,
                   PaymentTransaction.provider_reference.is_(None),
                   PaymentTransaction.idempotency_key == row.idempotency_key,
                   ~PaymentTransaction.idempotency_key.endswith(ASKED_AGAIN))
            .values(idempotency_key=f"{key}{ASKED_AGAIN}")
            .execution_options(synchronize_session=False))) == 1
        if won:
            record_change(session, store_id=row.store_id, entity_type="payment_transaction",
                          entity_id=row_id, action=REFUND_ASKED_AGAIN, from_state=None,
                          to_state=None, actor=actor,
                          reason="the refund call's answer was lost and the provider lists no "
                                 "such refund: asked for it again, once")
    return won
