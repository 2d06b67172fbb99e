"""The shop's state machines as data: each table lists every allowed move, nothing else.

``transition()`` is the only way a status changes; services call it and write the audit
row for each move it returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from .errors import IllegalTransition


class AttemptStatus(StrEnum):
    """One PaymentIntent's life as our ledger sees it."""

    INITIATED = "initiated"
    AUTHORIZING = "authorizing"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    CANCELED = "canceled"
    FAILED = "failed"


class OrderStatus(StrEnum):
    """Fulfilment: what happens to the goods."""

    PENDING = "pending"
    PAID = "paid"
    FULFILLING = "fulfilling"
    READY_FOR_SHIPMENT = "ready_for_shipment"  # packed, waiting for the carrier
    SHIPPED = "shipped"  # label and tracking number recorded
    IN_TRANSIT = "in_transit"  # the carrier has it
    DELIVERED = "delivered"
    CANCELED = "canceled"
    EXPIRED = "expired"


class PaymentStatus(StrEnum):
    """Money: what the shopper has paid, kept apart from fulfilment."""

    UNPAID = "unpaid"
    # Paid by hand later: cash on delivery to collect, or a bank transfer part-received.
    PENDING = "pending"
    PROCESSING = "processing"
    AUTHORIZED = "authorized"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    FAILED = "failed"
    DISPUTED = "disputed"


A, O, P = AttemptStatus, OrderStatus, PaymentStatus  # noqa: E741 (short names keep the tables readable)

ATTEMPT_MOVES: dict[AttemptStatus, frozenset[AttemptStatus]] = {
    # AUTHORIZING → INITIATED: Stripe hands a PaymentIntent back (``requires_payment_method``)
    # after a decline or a failed 3-D Secure; the same intent takes another card, so the
    # attempt stays open with its error recorded instead of dying (one order, one intent).
    A.INITIATED: frozenset({A.AUTHORIZING, A.CANCELED, A.FAILED}),
    # AUTHORIZING → CANCELED: Stripe canceled an intent mid-3-D Secure or mid-processing
    # (hold expiry, auto-cancel). Ending CANCELED whether or not we saw the in-progress
    # event keeps the final state the same in every event order.
    A.AUTHORIZING: frozenset({A.AUTHORIZED, A.INITIATED, A.CANCELED, A.FAILED}),
    A.AUTHORIZED: frozenset({A.CAPTURED, A.CANCELED, A.FAILED}),
    A.CAPTURED: frozenset(),
    A.CANCELED: frozenset(),
    A.FAILED: frozenset(),
}

ORDER_MOVES: dict[OrderStatus, frozenset[OrderStatus]] = {
    # PENDING → FULFILLING: cash on delivery is packed and sent before it is paid.
    O.PENDING: frozenset({O.PAID, O.FULFILLING, O.CANCELED, O.EXPIRED}),
    O.PAID: frozenset({O.FULFILLING, O.CANCELED}),
    # Packing and handing over are optional steps: a small shop ships straight from
    # fulfilling and marks a shipped parcel delivered without tracking it in between.
    O.FULFILLING: frozenset({O.READY_FOR_SHIPMENT, O.SHIPPED, O.CANCELED}),
    O.READY_FOR_SHIPMENT: frozenset({O.SHIPPED, O.CANCELED}),
    # → CANCELED once sent: only a refused cash-on-delivery parcel (services/payments/
    # offline.py); staff cancel refuses sent orders (ORDER_CANCELABLE, domain/cancellation).
    O.SHIPPED: frozenset({O.IN_TRANSIT, O.DELIVERED, O.CANCELED}),
    O.IN_TRANSIT: frozenset({O.DELIVERED, O.CANCELED}),
    O.DELIVERED: frozenset(),
    # A payment that lands after expiry or cancellation still yields a paid order.
    O.CANCELED: frozenset({O.PAID}),
    O.EXPIRED: frozenset({O.PAID}),
}

PAYMENT_MOVES: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    # → UNPAID from PROCESSING, FAILED and AUTHORIZED: the intent was canceled, nothing taken.
    P.UNPAID: frozenset({P.PENDING, P.PROCESSING, P.AUTHORIZED, P.PAID, P.FAILED}),
    # Cash collected or the transfer complete → PAID; refused or canceled → UNPAID.
    P.PENDING: frozenset({P.PAID, P.UNPAID}),
    P.PROCESSING: frozenset({P.AUTHORIZED, P.PAID, P.FAILED, P.UNPAID}),
    P.FAILED: frozenset({P.PROCESSING, P.AUTHORIZED, P.PAID, P.UNPAID}),
    P.AUTHORIZED: frozenset({P.PAID, P.UNPAID}),
    P.PAID: frozenset({P.PARTIALLY_REFUNDED, P.REFUNDED, P.DISPUTED}),
    # Back towards PAID: a refund the bank returned later (refund.failed) gives the money back.
    P.PARTIALLY_REFUNDED: frozenset({P.PARTIALLY_REFUNDED, P.REFUNDED, P.DISPUTED, P.PAID}),
    P.DISPUTED: frozenset({P.PAID, P.PARTIALLY_REFUNDED, P.REFUNDED}),
    P.REFUNDED: frozenset({P.DISPUTED, P.PARTIALLY_REFUNDED, P.PAID}),
}

# A hosted-page attempt (Paystack, Flutterwave) that we gave up on (CANCELED: its hold lapsed;
# FAILED: the provider said so) ended on our side only: neither provider can cancel a link, so
# the shopper may still pay on it. That money was captured all the same: the one move out of
# an ended attempt, made only by a late payment (services/payments/late_payments.py).
HOSTED_ATTEMPT_MOVES: dict[AttemptStatus, frozenset[AttemptStatus]] = {
    **ATTEMPT_MOVES, A.CANCELED: frozenset({A.CAPTURED}), A.FAILED: frozenset({A.CAPTURED})}

# Keyed by each machine's own status enum (Any: a Mapping's key type admits no subclass).
MACHINES: dict[str, Mapping[Any, frozenset[StrEnum]]] = {
    "attempt": ATTEMPT_MOVES, "hosted_attempt": HOSTED_ATTEMPT_MOVES, "order": ORDER_MOVES,
    "payment": PAYMENT_MOVES}

# Groups of statuses, named here only: code asks whether a status is in a group and never
# lists members itself. tests/unit/test_states.py places every status: a new one must be put
# in its groups (and given a label) before the suite passes.

# Every order is open (something is still to happen to it) or closed, never both.
ORDER_OPEN = frozenset({O.PENDING, O.PAID, O.FULFILLING, O.READY_FOR_SHIPMENT, O.SHIPPED,
                        O.IN_TRANSIT})
ORDER_CLOSED = frozenset({O.DELIVERED, O.CANCELED, O.EXPIRED})
# The goods have left: too late to cancel.
ORDER_SENT = frozenset({O.SHIPPED, O.IN_TRANSIT, O.DELIVERED})
# Staff may cancel these (the payment status may still refuse: domain/cancellation.py).
ORDER_CANCELABLE = frozenset(s for s, moves in ORDER_MOVES.items()
                             if O.CANCELED in moves and s not in ORDER_SENT)
# Paid for and not sent yet: staff prepare and ship them.
ORDER_TO_SHIP = frozenset({O.PAID, O.FULFILLING, O.READY_FOR_SHIPMENT})
# Closed before anything was sent: the shopper can rebuild the cart from them.
ORDER_CALLED_OFF = frozenset({O.CANCELED, O.EXPIRED})

# Every payment status is unpaid, in flight or captured, exactly one of them.
# Unpaid: nothing taken and nothing on its way; the order takes a new payment.
PAYMENT_UNPAID = frozenset({P.UNPAID, P.FAILED})
# In flight: the bank is confirming it, the money is reserved on the card, or it is to be
# paid by hand (cash on delivery, the rest of a bank transfer).
PAYMENT_IN_FLIGHT = frozenset({P.PENDING, P.PROCESSING, P.AUTHORIZED})
# Captured (the shopper sees "paid"): from here refunds and disputes decide, from the ledger.
PAYMENT_CAPTURED = frozenset({P.PAID, P.PARTIALLY_REFUNDED, P.REFUNDED, P.DISPUTED})
# An unpaid order in these may be closed (expired, canceled); PROCESSING asks Stripe first.
PAYMENT_CLOSABLE = PAYMENT_UNPAID | {P.PROCESSING}
# We hold the shopper's money, all or part of it.
PAYMENT_HELD = frozenset({P.PAID, P.PARTIALLY_REFUNDED})
# Money went back, all or part of it.
PAYMENT_REFUNDED = frozenset({P.PARTIALLY_REFUNDED, P.REFUNDED})


def can_move(machine: str, current: StrEnum, target: StrEnum) -> bool:
    return target in MACHINES[machine][current]


def transition(machine: str, current: StrEnum, target: StrEnum) -> StrEnum:
    """Return ``target`` if the move is allowed, else raise ``IllegalTransition``."""
    if not can_move(machine, current, target):
        raise IllegalTransition(machine, str(current), str(target))
    return target


# What staff (admin or API) may void: a payment nobody has started paying (INITIATED) or an
# authorization (AUTHORIZED). AUTHORIZING is not a valid state for void: the shopper is in
# 3-D Secure or the bank is processing, and a cancel would race the payment. The machine's
# AUTHORIZING → CANCELED move is Stripe's own cancel, recorded by settling, never requested.
VOIDABLE: frozenset[AttemptStatus] = frozenset({A.INITIATED, A.AUTHORIZED})


def can_void(current: AttemptStatus) -> bool:
    return current in VOIDABLE and can_move("attempt", current, A.CANCELED)


def void_transition(current: AttemptStatus) -> AttemptStatus:
    """The move a staff void makes (CANCELED), or ``IllegalTransition`` outside VOIDABLE."""
    if not can_void(current):
        raise IllegalTransition("attempt", str(current), str(A.CANCELED))
    return A.CANCELED


# The forward path of an attempt: settling walks it one step at a time so that every
# intermediate state is audited, whichever capture mode Stripe used.
ATTEMPT_PATH = (A.INITIATED, A.AUTHORIZING, A.AUTHORIZED, A.CAPTURED)


def attempt_path(current: AttemptStatus, target: AttemptStatus) -> list[AttemptStatus]:
    """Steps from ``current`` to ``target`` moving forward only; [] if already there or past."""
    if current == target:
        return []
    if target in ATTEMPT_PATH and current in ATTEMPT_PATH:
        here, there = ATTEMPT_PATH.index(current), ATTEMPT_PATH.index(target)
        return list(ATTEMPT_PATH[here + 1 : there + 1]) if there > here else []
    if can_move("attempt", current, target):
        return [target]
    return []
