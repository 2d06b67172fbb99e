"""Disputes (chargebacks): opened and closed by sandbox-only routes, read like Stripe's.

At Stripe a dispute comes from the card holder's bank; here a test opens one with
``POST /v1/charges/{id}/_dispute`` (``amount``, ``reason``) and decides it with
``POST /v1/disputes/{id}/_close`` (``status=won|lost``). ``POST /v1/disputes/{id}/close`` is
Stripe's own "accept the dispute" (it is then lost). Opening emits ``charge.dispute.created``,
deciding ``charge.dispute.closed``. A charge with a dispute that is not won cannot be
refunded (``charge_disputed``), as at Stripe.
"""

from __future__ import annotations

from aiohttp import web
from localstripe.resources import Charge, StripeObject, store
from localstripe.server import json_response, unflatten_data

from .common import emit, read_params, respond
from .errors import invalid, to_int, unknown_params, unsupported_params

REASONS = ("bank_cannot_process", "credit_not_processed", "customer_initiated",
           "debit_not_authorized", "duplicate", "fraudulent", "general",
           "incorrect_account_details", "insufficient_funds", "product_not_received",
           "product_unacceptable", "subscription_canceled", "unrecognized")
OPEN = ("warning_needs_response", "warning_under_review", "needs_response", "under_review")
EVIDENCE_DAYS = 7 * 24 * 3600


class Dispute(StripeObject):
    object = "dispute"
    _id_prefix = "dp_"

    def __init__(self, charge: Charge, amount: int, reason: str):
        super().__init__()
        self.amount = amount
        self.balance_transactions = []
        self.charge = charge.id
        self.currency = charge.currency
        self.evidence = {}
        self.evidence_details = {"due_by": self.created + EVIDENCE_DAYS, "has_evidence": False,
                                 "past_due": False, "submission_count": 0}
        self.is_charge_refundable = False
        self.metadata = {}
        self.payment_intent = charge.payment_intent
        self.reason = reason
        self.status = "needs_response"


def dispute_of(charge: Charge) -> Dispute | None:
    dispute_id = getattr(charge, "_dispute_id", None)
    return Dispute._api_retrieve(dispute_id) if dispute_id else None


def blocks_refund(charge: Charge) -> bool:
    dispute = dispute_of(charge)
    return dispute is not None and dispute.status != "won"


async def open_dispute(request: web.Request) -> web.Response:
    """Sandbox-only: the card holder's bank disputes a captured charge."""
    charge = Charge._api_retrieve(request.match_info["id"])
    data, expand = await read_params(request)
    unknown_params(data, {"amount", "reason"})
    if not (charge.paid and charge.captured):
        raise invalid(f"Charge {charge.id} was not captured; there is nothing to dispute.",
                      code="charge_not_disputable")
    if dispute_of(charge) is not None:
        raise invalid(f"Charge {charge.id} is already disputed.", code="charge_disputed")
    amount = to_int(data.get("amount", charge.amount), "amount")
    if not 1 <= amount <= charge.amount:
        raise invalid(f"A dispute's amount is between 1 and the charge's ({charge.amount}).",
                      param="amount")
    reason = data.get("reason", "fraudulent")
    if reason not in REASONS:
        raise invalid(f"Invalid reason: must be one of {', '.join(REASONS)}", param="reason")
    dispute = Dispute(charge, amount, reason)
    charge._dispute_id = dispute.id
    emit("charge.dispute.created", dispute)
    return respond(dispute, expand)


def _close(dispute: Dispute, status: str) -> None:
    if dispute.status not in OPEN:
        raise invalid(f"Dispute {dispute.id} is already {dispute.status}.",
                      code="dispute_already_closed")
    dispute.status = status
    dispute.is_charge_refundable = status == "won"
    emit("charge.dispute.closed", dispute)


async def decide_dispute(request: web.Request) -> web.Response:
    """Sandbox-only: the bank decides the dispute, ``status=won|lost``."""
    dispute = Dispute._api_retrieve(request.match_info["id"])
    data, expand = await read_params(request)
    data.update(unflatten_data(request.query))
    unknown_params(data, {"status"})
    status = data.get("status")
    if status not in ("won", "lost"):
        raise invalid("Invalid status: must be won or lost", param="status")
    _close(dispute, status)
    return respond(dispute, expand)


async def accept_dispute(request: web.Request) -> web.Response:
    """Stripe's ``close``: the merchant accepts the dispute, which is then lost."""
    dispute = Dispute._api_retrieve(request.match_info["id"])
    data, expand = await read_params(request)
    unsupported_params(data, {"metadata"})
    _close(dispute, "lost")
    return respond(dispute, expand)


async def retrieve_dispute(request: web.Request) -> web.Response:
    query = unflatten_data(request.query)
    expand = query.pop("expand", None)
    dispute = Dispute._api_retrieve(request.match_info["id"])
    return respond(dispute, [expand] if isinstance(expand, str) else expand)


async def list_disputes(request: web.Request) -> web.Response:
    query = unflatten_data(request.query)
    unsupported_params(query, {"charge", "payment_intent", "limit"})
    limit = to_int(query.get("limit", 10), "limit")
    if not 1 <= limit <= 100:
        raise invalid("Invalid limit: must be between 1 and 100", param="limit")
    found = [obj for key, obj in reversed(store.items()) if key.startswith("dispute:")]
    for name in ("charge", "payment_intent"):
        if query.get(name):
            found = [d for d in found if getattr(d, name) == query[name]]
    return json_response({"object": "list", "url": "/v1/disputes",
                          "has_more": len(found) > limit,
                          "data": [d._export() for d in found[:limit]]})


def _charge_disputed(self) -> bool:
    return getattr(self, "_dispute_id", None) is not None


def apply_patches() -> None:
    Charge.disputed = property(_charge_disputed)


ROUTES = [
    ("POST", "/v1/charges/{id}/_dispute", open_dispute),
    ("GET", "/v1/disputes", list_disputes),
    ("GET", "/v1/disputes/{id}", retrieve_dispute),
    ("POST", "/v1/disputes/{id}/_close", decide_dispute),
    ("POST", "/v1/disputes/{id}/close", accept_dispute),
]
