"""Who may refund how much, and until when: the staff refund limit and the refund window.

Pure rules; ``services.refund_policy`` feeds them the store's settings and the caller's role
inside the refund's transaction, so the admin pages and the JSON API obey the same rules.

- The limit is per order: staff (and API keys) may bring the refunds of one order, pending
  ones included, up to the owner's limit. Counting the order's earlier refunds stops a large
  refund being split into several small ones. Owners and the shop itself are not limited.
- The window starts when the money was taken. Past it, staff and API keys are refused;
  owners may still refund if they write down why (the reason goes into the audit trail).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .ledger import LedgerError
from .money import format_money


class RefundRole(StrEnum):
    """What the caller is, as far as refunds go."""

    OWNER = "owner"
    STAFF = "staff"
    API_KEY = "api_key"
    SYSTEM = "system"  # the shop itself: jobs, webhooks, reconciliation


@dataclass(frozen=True)
class Refunder:
    """Who asks for a refund. A person is named by user id: their role is looked up in the
    payment's store when the refund is claimed, so a demotion counts at once."""

    role: RefundRole | None = None
    user_id: int | None = None

    @classmethod
    def user(cls, user_id: int) -> Refunder:
        return cls(user_id=user_id)

    @classmethod
    def api_key(cls) -> Refunder:
        return cls(role=RefundRole.API_KEY)


LIMITED = frozenset({RefundRole.STAFF, RefundRole.API_KEY})


class RefundAboveLimit(LedgerError):
    code = "refund_above_limit"
    status = 403

    def __init__(self, *, amount: int, refunded_before: int, limit: int, currency: str):
        money = lambda value: format_money(value, currency)  # noqa: E731
        if refunded_before:
            message = (f"Refunding {money(amount)} would bring the refunds on this order to "
                       f"{money(amount + refunded_before)}, above your refund limit of "
                       f"{money(limit)}. Ask an owner to make this refund.")
        else:
            message = (f"{money(amount)} is above your refund limit of {money(limit)}. "
                       "Ask an owner to make this refund.")
        super().__init__(message)
        self.amount, self.refunded_before, self.limit = amount, refunded_before, limit


class OutsideRefundWindow(LedgerError):
    code = "outside_refund_window"
    status = 403

    def __init__(self, *, paid_at: datetime, window_days: int, owner: bool):
        who = ("To refund it anyway, give a reason for the exception." if owner
               else "Only an owner can refund it now, giving a reason.")
        taken = f"{paid_at:%B} {paid_at.day}, {paid_at.year}"
        super().__init__(f"This payment was taken on {taken}, outside the {window_days}-day "
                         f"refund window. {who}")
        self.paid_at, self.window_days, self.owner = paid_at, window_days, owner


@dataclass(frozen=True)
class PolicyCheck:
    """What the rules said yes to; ``override`` is set when an owner refunded past the window."""

    override: str | None = None


def check_refund_policy(*, role: RefundRole, amount: int, refunded_before: int,
                        limit: int | None, paid_at: datetime | None, now: datetime,
                        window_days: int, currency: str,
                        override_reason: str | None = None) -> PolicyCheck:
    """Raise ``RefundAboveLimit`` or ``OutsideRefundWindow``, or say what was allowed."""
    if role == RefundRole.SYSTEM:
        return PolicyCheck()
    if role in LIMITED and limit is not None and refunded_before + amount > limit:
        raise RefundAboveLimit(amount=amount, refunded_before=refunded_before, limit=limit,
                               currency=currency)
    if paid_at is None or now <= paid_at + timedelta(days=window_days):
        return PolicyCheck()
    reason = (override_reason or "").strip()
    if role == RefundRole.OWNER and reason:
        return PolicyCheck(override=reason)
    raise OutsideRefundWindow(paid_at=paid_at, window_days=window_days,
                              owner=role == RefundRole.OWNER)
