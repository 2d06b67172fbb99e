"""Refunds: created, retrieved, listed, and (sandbox-only) settled or failed later.

Events, like Stripe's: creating a refund emits ``refund.created`` and ``charge.refunded``; a
later change of its status emits ``refund.updated`` (and ``refund.failed`` when it failed).
Stripe's test cards decide how a refund behaves:

- ``4000000000007726``: the refund starts ``pending``; ``POST /v1/refunds/{id}/_settle``
  (``success=true|false``) ends it, as the bank would some days later;
- any other card: the refund is ``succeeded`` at once; ``POST /v1/refunds/{id}/_fail``
  (sandbox-only) fails it later, as Stripe's ``4000000000005126`` card does on its own.

A failed refund gives the money back to the charge (``amount_refunded`` drops again).
"""

from __future__ import annotations

from aiohttp import web
from localstripe.resources import Charge, PaymentIntent, Refund

from .common import emit, read_params, respond
from .disputes import blocks_refund
from .errors import (
    check_metadata,
    invalid,
    missing,
    to_bool,
    to_int,
    unknown_params,
    unsupported_params,
)
from .patches import card_number

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
FAILURE_REASONS = ("expired_or_canceled_card", "lost_or_stolen_card", "unknown")
PENDING_REFUND_CARD = "4000000000007726"
ENDED = ("failed", "canceled")


def _refundable_charge(data: dict) -> Charge:
    if data.get("payment_intent") and data.get("charge"):
        raise invalid("You may only specify one of these parameters: charge, payment_intent.",
                      param="payment_intent")
    if data.get("payment_intent"):
        pi = PaymentIntent._api_retrieve(str(data["payment_intent"]))
        if pi.status != "succeeded":
            raise invalid(f"This PaymentIntent ({pi.id}) does not have a successful charge to "
                          f"refund (its status is {pi.status}).",
                          code="charge_not_refundable", param="payment_intent")
        return pi.latest_charge
    if data.get("charge"):
        charge = Charge._api_retrieve(str(data["charge"]))
        if not (charge.paid and charge.captured):
            raise invalid(f"Charge {charge.id} has not been captured or has failed.",
                          code="charge_not_refundable", param="charge")
        return charge
    raise missing("payment_intent")


async def create_refund(request: web.Request) -> web.Response:
    data, expand = await read_params(request)
    unsupported_params(data, {"payment_intent", "charge", "amount", "reason", "metadata"})
    charge = _refundable_charge(data)
    if blocks_refund(charge):
        raise invalid(f"Charge {charge.id} has been charged back; it cannot be refunded.",
                      code="charge_disputed")
    remaining = charge.amount_captured - charge.amount_refunded
    if remaining <= 0:
        raise invalid(f"Charge {charge.id} has already been refunded.",
                      code="charge_already_refunded")
    amount = to_int(data.get("amount", remaining), "amount")
    if amount < 1:
        raise invalid("Invalid positive integer", code="parameter_invalid_integer",
                      param="amount")
    if amount > remaining:
        raise invalid(f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                      f"({remaining})", code="amount_too_large", param="amount")
    reason = data.get("reason")
    if reason not in (None, *REFUND_REASONS):
        raise invalid(f"Invalid reason: must be one of {', '.join(REFUND_REASONS)}",
                      param="reason")
    refund = Refund(charge=charge.id, amount=amount, metadata=check_metadata(data.get("metadata")))
    refund.payment_intent = charge.payment_intent
    refund.reason = reason
    refund.failure_reason = None
    if card_number(charge.payment_method) == PENDING_REFUND_CARD:
        refund.status = "pending"
    emit("refund.created", refund)
    emit("charge.refunded", charge)
    return respond(refund, expand)


def _end(refund: Refund, status: str, failure_reason: str | None) -> None:
    refund.status = status
    refund.failure_reason = failure_reason
    emit("refund.updated", refund)
    if status == "failed":
        emit("refund.failed", refund)


def _failure_reason(data: dict) -> str:
    reason = data.get("failure_reason", "expired_or_canceled_card")
    if reason not in FAILURE_REASONS:
        raise invalid(f"Invalid failure_reason: must be one of {', '.join(FAILURE_REASONS)}",
                      param="failure_reason")
    return reason


async def settle_refund(request: web.Request) -> web.Response:
    """Sandbox-only: a ``pending`` refund succeeds (``success=true``) or fails."""
    refund = Refund._api_retrieve(request.match_info["id"])
    data, expand = await read_params(request)
    unknown_params(data, {"success", "failure_reason"})
    success = to_bool(data.get("success", True), "success")
    if refund.status != "pending":
        raise invalid(f"Refund {refund.id} is {refund.status}; only a pending refund can be "
                      "settled.", code="refund_unexpected_state")
    if success:
        _end(refund, "succeeded", None)
    else:
        _end(refund, "failed", _failure_reason(data))
    return respond(refund, expand)


async def fail_refund(request: web.Request) -> web.Response:
    """Sandbox-only: the bank returns a refund (the card was closed, say) after the fact."""
    refund = Refund._api_retrieve(request.match_info["id"])
    data, expand = await read_params(request)
    unknown_params(data, {"failure_reason"})
    if refund.status in ENDED:
        raise invalid(f"Refund {refund.id} is already {refund.status}.",
                      code="refund_unexpected_state")
    _end(refund, "failed", _failure_reason(data))
    return respond(refund, expand)


def _amount_refunded(self) -> int:
    return sum(refund.amount for refund in self.refunds._list if refund.status not in ENDED)


def _refunded(self) -> bool:
    return self.amount_captured > 0 and self.amount_refunded >= self.amount_captured


def apply_patches() -> None:
    Charge.amount_refunded = property(_amount_refunded)
    Charge.refunded = property(_refunded)


ROUTES = [
    ("POST", "/v1/refunds", create_refund),
    ("POST", "/v1/refunds/{id}/_settle", settle_refund),
    ("POST", "/v1/refunds/{id}/_fail", fail_refund),
]
