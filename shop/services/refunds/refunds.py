"""Refunds: money given back from a CAPTURED attempt, never more than is left.

The claim pattern of ``capture``: under the attempt's row lock the refundable balance is
computed from the ledger (captured − refunded − refunds still pending) and a PENDING
REFUND row is inserted, so two refunds at the same instant cannot both fit where only one
does. Stripe is called after commit with the row's idempotency key; the outcome is applied
in a second transaction. A refund Stripe reports as pending stays pending until
reconciliation (or a refund webhook) learns how it ended.

Before the claim, the amount passes the store's refund policy (``refund_policy``: the staff
limit and the refund window) and, for a refund by lines, is computed from the order lines
(``refund_lines``). When a refund succeeds, ``apply_refund`` moves the order's payment
status, restocks what was asked, and queues the refund e-mail, all in the one transaction
that marks it succeeded, so each happens once per refund.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from ...domain.ledger import (
    LedgerError,
    NotRefundable,
    ProviderRefused,
    ProviderUnavailable,
    TransactionKind,
    TransactionStatus,
    check_refund_amount,
    summarize,
)
from ...domain.refund_lines import RefundAmountChanged
from ...domain.refund_policy import Refunder
from ...domain.states import AttemptStatus
from ...extensions import db
from ...models import PaymentTransaction
from ...providers.base import ProviderError
from ...providers.stripe_objects import Refund
from ..payments.capture import locked_in_scope
from ..payments.errors import GatewayError, as_gateway_error
from ..payments.ledger import (
    add_transaction,
    fail,
    live,
    lock_attempt,
    provider_key,
    succeed,
    transactions,
)
from ..payments.methods import PAID_BY_HAND, provider_named
from ..platform.audit import record_change
from ..platform.tx import get_existing, write_transaction
from .effects import refund_succeeded
from .lines import claim_refund_lines, quote_for
from .policy import enforce_refund_policy

log = logging.getLogger(__name__)

STRIPE_REASONS = ("requested_by_customer", "duplicate", "fraudulent")


# The automatic refund of an order paid after its stock sold out (services/refunds/out_of_stock.py).
OUT_OF_STOCK_ACTOR = "system:auto-refund"


def _shop_reason(actor: str) -> str | None:
    """Why the shop refunded, for Stripe's metadata: the same on every retry of a refund
    (it is derived from the row, as Stripe refuses a reused key with other parameters)."""
    return "out_of_stock" if actor == OUT_OF_STOCK_ACTOR else None


@dataclass(frozen=True)
class RefundClaim:
    transaction_id: int
    attempt_id: int
    order_id: int
    intent_id: str
    amount: int
    reason: str | None
    idempotency_key: str
    shop_reason: str | None = None
    provider: str = "stripe"  # the attempt's: which issuer in ISSUERS makes the refund
    payout_reference: str | None = None  # a manual payout's (bank transfer, cash): staff's
    currency: str = ""  # the attempt's


def refund_payment(*, attempt_id: int, amount: int | None = None, reason: str | None = None,
                   note: str | None = None, actor: str,
                   store_ids: Collection[int] | None = None, by: Refunder | None = None,
                   lines: Mapping[int, int] | None = None, restock: bool = False,
                   override_reason: str | None = None,
                   expected_amount: int | None = None,
                   payout_reference: str | None = None) -> PaymentTransaction:
    """Refund ``amount`` (default: all that is left) of a CAPTURED attempt; the REFUND row.

    ``reason`` is one of Stripe's (``requested_by_customer``, ``duplicate``,
    ``fraudulent``); ``note`` is free text for the audit trail. ``by`` is who asks (a staff
    member or an API key, held to the store's refund limit and window); None is the shop
    itself (jobs, webhooks), which they do not bind. ``lines`` (order line id → units)
    refunds those units instead of an amount, priced from the order, and ``restock`` puts
    them back in stock once the refund succeeds. ``override_reason`` lets an owner refund
    after the window. ``expected_amount`` is the amount the caller showed for confirmation:
    if the computed amount differs now, nothing is refunded.

    Raises ``NotRefundable``, ``RefundExceedsBalance``, ``InvalidAmount``,
    ``InvalidRefundLines``, ``RefundAmountChanged``, ``RefundAboveLimit``,
    ``OutsideRefundWindow``, ``NotFound``, ``ProviderRefused`` or ``ProviderUnavailable``.
    """
    if lines is not None and amount is not None:
        raise ValueError("refund an amount or lines, not both")
    payout_reference = (payout_reference or "").strip()[:200] or None
    with write_transaction() as session:
        order, attempt = locked_in_scope(session, attempt_id, store_ids)
        if attempt.provider in MANUAL_PAYOUTS and payout_reference is None:
            raise PayoutReferenceRequired("Enter the reference of the payment you made to "
                                          "the customer (bank transfer or cash).")
        if attempt.status != AttemptStatus.CAPTURED:
            raise NotRefundable(f"Only a captured payment can be refunded; this one is "
                                f"{attempt.status}.")
        rows = transactions(session, attempt.id)
        summary = summarize(rows)
        quote = quote_for(session, order, lines) if lines is not None else None
        if quote is not None:
            amount = quote.amount
        if amount is None and summary.refundable == 0:
            raise NotRefundable("Nothing is left to refund on this payment.")
        amount = summary.refundable if amount is None else amount
        if expected_amount is not None and amount != expected_amount:
            raise RefundAmountChanged(amount, expected_amount, attempt.currency)
        check_refund_amount(amount, summary)
        capture = live(rows, TransactionKind.CAPTURE)
        assert capture is not None, "a CAPTURED attempt has its CAPTURE row"
        assert attempt.provider_reference is not None, "Stripe captured it: it has an intent"
        enforce_refund_policy(session, order=order, attempt=attempt, amount=amount,
                              paid_at=order.paid_at or capture.created_at, by=by,
                              override_reason=override_reason, actor=actor)
        row = add_transaction(session, attempt, kind=TransactionKind.REFUND, amount=amount,
                              actor=actor, parent_id=capture.id, reason=reason)
        if quote is not None:
            claim_refund_lines(session, order=order, transaction=row, quote=quote,
                               restock=restock)
        claim = RefundClaim(row.id, attempt.id, order.id, attempt.provider_reference, amount,
                            reason, provider_key(row), _shop_reason(actor), attempt.provider,
                            payout_reference, attempt.currency)
        record_change(session, store_id=attempt.store_id, entity_type="payment_transaction",
                      entity_id=row.id, action="refund_requested", from_state=None,
                      to_state=TransactionStatus.PENDING, actor=actor,
                      reason=f"{amount} {attempt.currency}" + (f": {note}" if note else ""))
    try:
        refund = issue_refund(claim)
    except GatewayError as exc:
        raise _record_failure(claim, exc, actor) from exc
    apply_refund(transaction_id=claim.transaction_id, refund=refund, actor=actor)
    return get_existing(db.session, PaymentTransaction, claim.transaction_id)


def issue_refund(claim: RefundClaim) -> Refund:
    """The provider's refund call; repeating it with the same claim repeats nothing."""
    return ISSUERS[claim.provider](claim)


def _stripe_refund(claim: RefundClaim) -> Refund:
    """Through the Stripe provider; repeating it with the same claim repeats nothing (the
    row's idempotency key). The metadata lets reconciliation find a refund whose answer was
    lost (its ``transaction_id``)."""
    metadata = {"transaction_id": str(claim.transaction_id),
                "attempt_id": str(claim.attempt_id), "order_id": str(claim.order_id)}
    if claim.shop_reason:
        metadata["shop_reason"] = claim.shop_reason
    with provider_named("stripe") as stripe:
        try:
            refund = stripe.refund(claim.intent_id, claim.amount, currency=claim.currency,
                                   reason=claim.reason or "",
                                   idempotency_key=claim.idempotency_key, metadata=metadata)
        except ProviderError as exc:
            raise as_gateway_error(exc) from exc
    return Refund(id=refund.refund_id, status=refund.status, amount=refund.amount,
                  currency=refund.currency, charge_id=None, payment_intent_id=refund.reference,
                  failure_reason=refund.failure_reason, metadata=metadata,
                  reason=claim.reason)


def _manual_payout(claim: RefundClaim) -> Refund:
    """Cash on delivery and bank transfer: staff paid the customer back themselves (a
    transfer, cash); the refund is recorded as made, under the reference they entered."""
    assert claim.payout_reference, "refund_payment asks for it first"
    return Refund(id=claim.payout_reference, status="succeeded", amount=claim.amount,
                  currency="", charge_id=None, payment_intent_id=None, failure_reason=None,
                  metadata={"manual_payout": "true"})


class PayoutReferenceRequired(LedgerError):
    """A manual refund is recorded with the reference of the payout staff made."""

    code = "payout_reference_required"
    status = 422


# Payments refunded by hand, not through a provider's API.
MANUAL_PAYOUTS = PAID_BY_HAND


def _provider_refund(provider: str) -> Callable[[RefundClaim], Refund]:
    def issue(claim: RefundClaim) -> Refund:
        from .provider_refunds import issue as issue_at_provider

        return issue_at_provider(provider, claim)

    return issue


# The refund calls, by the attempt's ``provider`` (Stripe's for the Payment Element and hosted
# Checkout); each raises GatewayError, so the failure paths are shared.
ISSUERS: dict[str, Callable[[RefundClaim], Refund]] = {
    "stripe": _stripe_refund,
    "cod": _manual_payout,
    "bank_transfer": _manual_payout,
    "paystack": _provider_refund("paystack"),
    "flutterwave": _provider_refund("flutterwave"),
}


def claim_for(row: PaymentTransaction) -> RefundClaim:
    """The claim of a REFUND row the shop made (the only kind without a Stripe refund id)."""
    attempt = row.attempt
    assert attempt.provider_reference is not None, "a refunded attempt was captured at Stripe"
    assert row.idempotency_key is not None, "the claiming transaction gave the row its key"
    return RefundClaim(row.id, attempt.id, attempt.order_id, attempt.provider_reference,
                       row.amount, row.reason, row.idempotency_key, _shop_reason(row.actor),
                       attempt.provider, currency=attempt.currency)


def apply_refund(*, transaction_id: int, refund: Refund, actor: str) -> None:
    """Record what Stripe says of a refund: succeeded, failed, or still pending."""
    with write_transaction() as session:
        row = get_existing(session, PaymentTransaction, transaction_id)
        locked = lock_attempt(session, row.attempt_id)
        assert locked is not None, "the row's attempt exists (foreign key)"
        session.refresh(row)
        order, _attempt = locked
        if row.status != TransactionStatus.PENDING:
            return
        if not row.provider_reference:
            row.provider_reference = refund.id
        if refund.status == "succeeded":
            succeed(row)
            refund_succeeded(session, order=order, row=row, actor=actor)
        elif refund.status in ("failed", "canceled"):
            fail(row, code=f"refund_{refund.status}",
                 message=refund.failure_reason or f"Stripe reports the refund {refund.status}")
            record_change(session, store_id=row.store_id, entity_type="payment_transaction",
                          entity_id=row.id, action="refund_failed",
                          from_state=TransactionStatus.PENDING, to_state=row.status,
                          actor=actor, reason=row.failure_message)


def _provider_label(claim: RefundClaim) -> str:
    return {"paystack": "Paystack", "flutterwave": "Flutterwave"}.get(claim.provider, "Stripe")


def _record_failure(claim: RefundClaim, exc: GatewayError, actor: str) -> LedgerError:
    """What a failed Stripe call means for the claim; returns the error to raise."""
    log.warning("refund call failed", extra={"transaction_id": claim.transaction_id,
                                             "code": exc.code, "retryable": exc.retryable})
    if exc.retryable:
        # Stripe may have made the refund: the row stays pending (it still counts against the
        # balance) and reconciliation repeats the call with the same idempotency key.
        return ProviderUnavailable(f"{_provider_label(claim)} could not be reached; the refund "
                                   "stays pending and will be reconciled.")
    with write_transaction() as session:
        row = get_existing(session, PaymentTransaction, claim.transaction_id)
        fail(row, code=exc.code, message=str(exc))
        record_change(session, store_id=row.store_id, entity_type="payment_transaction",
                      entity_id=row.id, action="refund_failed",
                      from_state=TransactionStatus.PENDING, to_state=row.status, actor=actor,
                      reason=str(exc))
    return ProviderRefused(str(exc), exc.code)
