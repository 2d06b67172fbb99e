"""The payment ledger: money figures derived from transaction rows, never stored.

Like Saleor's transaction events, every movement of money is a row (AUTH, CAPTURE, REFUND,
VOID) with a status; captured, refunded and refundable amounts are recomputed from those
rows by ``summarize`` alone, in integer minor units.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from . import errors
from .errors import DomainError


class TransactionKind(StrEnum):
    """What a transaction did to the money of one attempt."""

    AUTH = "auth"  # the card issuer set the amount aside
    CAPTURE = "capture"  # the set-aside money was taken (automatic capture too)
    REFUND = "refund"  # captured money given back, linked to its CAPTURE
    VOID = "void"  # the authorization was released without taking money


class TransactionStatus(StrEnum):
    """A PENDING row is a claim: the provider call is under way, or its outcome unknown."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class LedgerRow(Protocol):
    kind: str
    status: str
    amount: int


@dataclass(frozen=True)
class LedgerSummary:
    authorized: int
    captured: int
    refunded: int
    pending_refunds: int
    voided: int
    pending_capture: bool
    pending_void: bool

    @property
    def refundable(self) -> int:
        """What may still be refunded: pending refunds already count against it."""
        return max(0, self.captured - self.refunded - self.pending_refunds)


def summarize(rows: Iterable[LedgerRow]) -> LedgerSummary:
    """The one place money figures come from; failed rows count for nothing."""
    totals = {(kind, status): 0 for kind in TransactionKind for status in TransactionStatus}
    seen: set[tuple[str, str]] = set()
    for row in rows:
        key = (TransactionKind(row.kind), TransactionStatus(row.status))
        totals[key] += row.amount
        seen.add(key)
    done, pending = TransactionStatus.SUCCEEDED, TransactionStatus.PENDING
    return LedgerSummary(
        authorized=totals[(TransactionKind.AUTH, done)],
        captured=totals[(TransactionKind.CAPTURE, done)],
        refunded=totals[(TransactionKind.REFUND, done)],
        pending_refunds=totals[(TransactionKind.REFUND, pending)],
        voided=totals[(TransactionKind.VOID, done)],
        pending_capture=(TransactionKind.CAPTURE, pending) in seen,
        pending_void=(TransactionKind.VOID, pending) in seen,
    )


class LedgerError(DomainError):
    """A money movement the ledger refuses."""


class OperationInProgress(LedgerError):
    """Another capture or void of this attempt is under way: its outcome decides."""

    code = "operation_in_progress"
    status = 409


class InvalidAmount(LedgerError):
    code = "invalid_amount"


class RefundExceedsBalance(LedgerError):
    code = "refund_exceeds_balance"

    def __init__(self, requested: int, refundable: int):
        super().__init__(f"Refund of {requested} exceeds the refundable balance of {refundable}.")
        self.requested = requested
        self.refundable = refundable


def check_capture_amount(amount: int, authorized: int) -> None:
    if not 1 <= amount <= authorized:
        raise InvalidAmount(f"Capture amount must be between 1 and {authorized}.")


def check_refund_amount(amount: int, summary: LedgerSummary) -> None:
    if amount < 1:
        raise InvalidAmount("Refund amount must be at least 1.")
    if amount > summary.refundable:
        raise RefundExceedsBalance(amount, summary.refundable)


class NotFound(LedgerError, errors.NotFound):
    """No such payment in the stores the caller may see (never says which it is)."""

    code = "not_found"
    status = 404


class NotRefundable(LedgerError):
    code = "not_refundable"
    status = 409


class ProviderUnavailable(LedgerError):
    """The provider could not be reached; the outcome is unknown and stays pending."""

    code = "provider_unavailable"
    status = 503


class ProviderRefused(LedgerError):
    """The provider refused the operation; nothing was done and the claim is marked failed."""

    code = "provider_refused"
    status = 502

    def __init__(self, message: str, provider_code: str):
        super().__init__(message)
        self.provider_code = provider_code
