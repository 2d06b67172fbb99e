"""What canceling an order means, decided from its two statuses (no app, no database).

An unpaid order gives its held stock back. A paid order not yet shipped gives its stock
back too, but its money stays with us until someone refunds it: canceling never refunds.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import DomainError
from .states import (
    ORDER_CANCELABLE,
    ORDER_SENT,
    ORDER_TO_SHIP,
    PAYMENT_UNPAID,
)
from .states import OrderStatus as O
from .states import PaymentStatus as P


class CannotCancel(DomainError):
    """The order cannot be canceled now; the message says what to do instead."""

    code = "cannot_cancel"


@dataclass(frozen=True)
class CancelRule:
    restock: bool  # paid: the stock taken at payment goes back; unpaid: the holds are released
    refund_owed: bool  # money we still hold for goods we will not send


def cancel_rule(status: O, payment_status: P) -> CancelRule:
    """What canceling does to an order in these statuses; raises ``CannotCancel`` if it may not."""
    if status in ORDER_SENT:
        raise CannotCancel("This order has shipped, so it can no longer be canceled. "
                           "Refund it instead once the goods are back.")
    if status not in ORDER_CANCELABLE:
        raise CannotCancel(f"This order is {status.value}; it cannot be canceled.")
    if payment_status == P.PROCESSING:
        raise CannotCancel("A payment for this order is being confirmed right now. "
                           "Wait until it succeeds or fails, then cancel.")
    if payment_status == P.AUTHORIZED:
        raise CannotCancel("The shopper's card is authorized for this order. Void the "
                           "payment first so the money is released, then cancel.")
    if payment_status == P.PENDING:
        raise CannotCancel("This order is paid by hand and its payment is pending (cash on "
                           "delivery, or part of a bank transfer received). Record the "
                           "delivery as refused, or the rest of the transfer, instead.")
    if payment_status == P.DISPUTED:
        raise CannotCancel("This order's payment is disputed. Answer the dispute in Stripe "
                           "before canceling.")
    if status == O.PENDING and payment_status in PAYMENT_UNPAID:
        return CancelRule(restock=False, refund_owed=False)
    if status in ORDER_TO_SHIP:
        return CancelRule(restock=True, refund_owed=payment_status != P.REFUNDED)
    raise CannotCancel(f"An order that is {status.value} with payment "
                       f"{payment_status.value.replace('_', ' ')} cannot be canceled here.")
