"""What the admin's money pages show: each attempt with its ledger, what staff may do to it,
and what a refund would come to before anyone confirms it (read-only: nothing is written).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ...domain.errors import NotFound
from ...domain.ledger import (
    LedgerSummary,
    NotRefundable,
    TransactionKind,
    check_refund_amount,
    summarize,
)
from ...domain.refund_lines import LineRefundQuote, RefundableLine
from ...domain.refund_policy import PolicyCheck, Refunder, RefundRole
from ...domain.states import AttemptStatus, can_void
from ...extensions import db
from ...models import Order, PaymentAttempt, PaymentTransaction, ReconciliationRun
from ...models.types import utcnow
from ..platform.settings import effective_settings
from ..platform.tx import get_existing
from ..refunds.lines import check_restock, quote_for, refundable_lines, restockable_units
from ..refunds.policy import check_policy, refunder_role
from .ledger import live, order_summary
from .methods import PAID_BY_HAND
from .queries import HistoryStep, attempt_history, last_reconciliation_run, stuck_attempts


class PaymentNotFound(NotFound):
    code = "payment_not_found"


@dataclass(frozen=True)
class PaymentActions:
    capture: bool
    void: bool
    refund: bool


@dataclass(frozen=True)
class AttemptLedger:
    attempt: PaymentAttempt
    rows: list[PaymentTransaction]
    summary: LedgerSummary
    actions: PaymentActions

    @property
    def captured_at(self) -> datetime | None:
        capture = live(self.rows, TransactionKind.CAPTURE)
        return capture.created_at if capture else None


def _actions(attempt: PaymentAttempt, summary: LedgerSummary) -> PaymentActions:
    status = AttemptStatus(attempt.status)
    busy = summary.pending_capture or summary.pending_void
    return PaymentActions(
        capture=status == AttemptStatus.AUTHORIZED and not busy,
        # Cash and transfers are not voided: staff record a refused delivery or let the
        # unpaid order lapse (services/payments/offline.py).
        void=can_void(status) and not busy and attempt.provider not in PAID_BY_HAND,
        refund=status == AttemptStatus.CAPTURED and summary.refundable > 0)


def _ledger(attempt: PaymentAttempt, rows: list[PaymentTransaction]) -> AttemptLedger:
    summary = summarize(rows)
    return AttemptLedger(attempt, rows, summary, _actions(attempt, summary))


def ledger_of(attempt: PaymentAttempt) -> AttemptLedger:
    return _ledger(attempt, list(db.session.scalars(
        select(PaymentTransaction).where(PaymentTransaction.attempt_id == attempt.id)
        .order_by(PaymentTransaction.id))))


def order_ledgers(order_id: int) -> list[AttemptLedger]:
    """Each attempt of the order, oldest first, with its transactions and figures."""
    attempts = list(db.session.scalars(select(PaymentAttempt).where(
        PaymentAttempt.order_id == order_id).order_by(PaymentAttempt.id)))
    rows: dict[int, list[PaymentTransaction]] = {attempt.id: [] for attempt in attempts}
    for row in db.session.scalars(
            select(PaymentTransaction).where(PaymentTransaction.attempt_id.in_(list(rows)))
            .order_by(PaymentTransaction.id)):
        rows[row.attempt_id].append(row)
    return [_ledger(attempt, rows[attempt.id]) for attempt in attempts]


@dataclass(frozen=True)
class PaymentView:
    order: Order
    ledger: AttemptLedger
    order_totals: LedgerSummary
    history: list[HistoryStep] = field(default_factory=list)  # declines and moves, in order


def payment_view(*, store_id: int, attempt_id: int) -> PaymentView:
    """One attempt of the store, its order and its ledger; ``PaymentNotFound`` otherwise."""
    attempt = db.session.scalar(select(PaymentAttempt).where(
        PaymentAttempt.id == attempt_id, PaymentAttempt.store_id == store_id))
    if attempt is None:
        raise PaymentNotFound("We could not find that payment in this store.")
    return PaymentView(get_existing(db.session, Order, attempt.order_id), ledger_of(attempt),
                       order_summary(order_id=attempt.order_id), attempt_history(attempt.id))


@dataclass(frozen=True)
class RefundLineOption:
    line: RefundableLine
    restockable: int  # units of this line's product that may still go back in stock


@dataclass(frozen=True)
class RefundOptions:
    view: PaymentView
    role: RefundRole
    lines: list[RefundLineOption]
    limit: int | None  # the staff limit, if it applies to this person
    refunded_on_order: int
    window_days: int
    window_ends: datetime | None
    outside_window: bool


def refund_options(*, store_id: int, attempt_id: int, user_id: int) -> RefundOptions:
    """What the refund page offers this staff member for this payment."""
    view = payment_view(store_id=store_id, attempt_id=attempt_id)
    session = db.session()
    role = refunder_role(session, Refunder.user(user_id), store_id)
    settings = effective_settings(store_id)
    restockable = restockable_units(session, view.order.id, count_pending=True)
    variant_of = {line.id: line.variant_id for line in view.order.lines}
    lines = [RefundLineOption(line, min(line.left, restockable.get(variant_of[line.line_id], 0)))
             for line in refundable_lines(session, view.order)]
    paid_at = view.order.paid_at or view.ledger.captured_at
    ends = paid_at + timedelta(days=settings.refund_window_days) if paid_at else None
    refunded = view.order_totals.refunded + view.order_totals.pending_refunds
    return RefundOptions(
        view, role, lines,
        settings.staff_refund_limit if role in (RefundRole.STAFF, RefundRole.API_KEY) else None,
        refunded, settings.refund_window_days, ends, ends is not None and utcnow() > ends)


@dataclass(frozen=True)
class RefundPreview:
    amount: int
    quote: LineRefundQuote | None
    policy: PolicyCheck


def preview_refund(*, store_id: int, attempt_id: int, user_id: int, amount: int | None,
                   lines: Mapping[int, int] | None, restock: bool = False,
                   override_reason: str | None = None) -> RefundPreview:
    """The amount ``refund_payment`` would refund now, and the same refusals it would give."""
    view = payment_view(store_id=store_id, attempt_id=attempt_id)
    summary = view.ledger.summary
    if view.ledger.attempt.status != AttemptStatus.CAPTURED or summary.refundable == 0:
        raise NotRefundable("Nothing is left to refund on this payment.")
    session = db.session()
    quote = quote_for(session, view.order, lines) if lines is not None else None
    if quote is not None and restock:
        check_restock(session, order=view.order, quote=quote)
    amount = quote.amount if quote else (summary.refundable if amount is None else amount)
    check_refund_amount(amount, summary)
    policy = check_policy(
        session, order=view.order, attempt=view.ledger.attempt, amount=amount,
        paid_at=view.order.paid_at or view.ledger.captured_at, by=Refunder.user(user_id),
        override_reason=override_reason)
    return RefundPreview(amount, quote, policy)


@dataclass(frozen=True)
class ReconciliationCard:
    stuck: int
    stuck_minutes: int
    last_run: ReconciliationRun | None


def reconciliation_card(*, store_id: int) -> ReconciliationCard:
    """How many of the store's payments reconciliation would look at now, and its last run."""
    minutes = current_app.config["RECONCILE_STUCK_MINUTES"]
    stuck = stuck_attempts(store_ids=[store_id], now=utcnow(),
                           stuck_for=timedelta(minutes=minutes))
    return ReconciliationCard(len(stuck), minutes,
                              last_reconciliation_run(store_ids=[store_id]))
