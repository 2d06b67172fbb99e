"""Refunds at the redirect providers (Paystack, Flutterwave), through the shared refund paths.

``issue`` is the provider's entry in ``refunds.ISSUERS``: the claim's REFUND row was written
before the call, exactly as for Stripe; a provider error becomes a ``GatewayError`` so that a
retryable one leaves the row pending (reconciled) and a refusal fails it. The refund's id is
stored as ``<provider>:<id>`` (the providers number their refunds independently, and a
ledger reference is unique per kind).

Neither provider takes an idempotency key for a refund, so a row whose call may or may not
have reached the provider (no refund id stored) is never sent again blindly: the provider's
list of the payment's refunds is asked first (``lost_refunds``).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from ...domain.ledger import TransactionKind, TransactionStatus
from ...extensions import db
from ...models import PaymentAttempt, PaymentTransaction
from ...providers.base import ProviderError, ProviderRefund
from ...providers.stripe_objects import Refund
from ..payments.errors import GatewayError, as_gateway_error
from ..payments.methods import provider_named
from ..platform.tx import get_existing

log = logging.getLogger(__name__)

_STATUS = {"succeeded": "succeeded", "failed": "failed", "pending": "pending"}


def as_refund(provider: str, refund: ProviderRefund) -> Refund:
    status = _STATUS.get(refund.status, "pending")
    return Refund(id=f"{provider}:{refund.refund_id}", status=status, amount=refund.amount,
                  currency=refund.currency.lower(), charge_id=None,
                  payment_intent_id=refund.reference,
                  failure_reason=f"{provider} reports the refund failed"
                  if status == "failed" else None)


def refund_note(transaction_id: int, reason: str | None) -> str:
    """The note sent with a refund (Paystack's merchant_note, Flutterwave's comments): it names
    our REFUND row, so that a refund whose answer was lost is recognised in the provider's list."""
    return f"{NOTE_PREFIX}{transaction_id}" + (f": {reason}" if reason else "")


NOTE_PREFIX = "shop refund "


def issue(provider: str, claim) -> Refund:
    """Ask ``provider`` to refund ``claim.amount`` of the claim's payment (our reference)."""
    attempt = db.session.get(PaymentAttempt, claim.attempt_id)
    assert attempt is not None, "the claim's attempt exists"
    with provider_named(provider) as client:
        try:
            refund = client.refund(claim.intent_id, claim.amount, currency=attempt.currency,
                                   reason=refund_note(claim.transaction_id, claim.reason))
        except ProviderError as exc:
            raise as_gateway_error(exc) from exc
    return as_refund(provider, refund)


def fetch(row: PaymentTransaction) -> Refund:
    """How the refund of ``row`` (with its stored id) stands at its provider."""
    attempt = row.attempt
    assert row.provider_reference and attempt.provider_reference, "a refund made and stored"
    provider, _, refund_id = row.provider_reference.partition(":")
    with provider_named(provider) as client:
        try:
            refund = client.fetch_refund(refund_id, reference=attempt.provider_reference,
                                         currency=attempt.currency)
        except ProviderError as exc:
            raise as_gateway_error(exc) from exc
    return as_refund(provider, refund)


def pending_refunds(reference: str) -> list[PaymentTransaction]:
    """The REFUND rows still pending on the attempt whose reference is ``reference``."""
    db.session.rollback()
    return list(db.session.scalars(
        select(PaymentTransaction).join(PaymentAttempt)
        .where(PaymentAttempt.provider_reference == reference,
               PaymentTransaction.kind == TransactionKind.REFUND,
               PaymentTransaction.status == TransactionStatus.PENDING)
        .order_by(PaymentTransaction.id)))


class RefundNotStoredYet(GatewayError):
    """A refund event arrived before its refund call's answer was stored: try again later."""


def settle_refunds_of(reference: str, *, actor: str) -> int:
    """Apply how each pending refund of the payment ``reference`` ended (a refund event is a
    hint: each refund is fetched, and one whose answer was lost is looked for in the
    provider's list); returns how many are no longer pending."""
    from .lost_refunds import find_lost_refund
    from .refunds import apply_refund

    done = 0
    for row in pending_refunds(reference):
        refund = fetch(row) if row.provider_reference else find_lost_refund(row)
        if refund is None:
            # Its call may still be under way: the provider delivers the event again.
            raise RefundNotStoredYet(f"refund {row.id} has no provider id yet",
                                     code="refund_not_stored", retryable=True)
        row_id = row.id
        apply_refund(transaction_id=row_id, refund=refund, actor=actor)
        if get_existing(db.session, PaymentTransaction, row_id).status \
                != TransactionStatus.PENDING:
            done += 1
    return done
