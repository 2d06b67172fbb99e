"""What the order page says to a shopper who pays by hand: cash on delivery, or the bank
details, reference and amount still owed of a bank transfer."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.money import format_money
from ..domain.payment_methods.bank_reference import grouped
from ..domain.states import ORDER_CALLED_OFF, OrderStatus, PaymentStatus
from ..models import Order
from ..services.payments.methods import method_settings
from ..services.payments.transfers import order_balance
from . import bp
from .presenter import OrderState


@dataclass(frozen=True)
class TransferInstructions:
    bank_account: str
    reference: str  # printed in groups of four
    amount: int  # still owed
    received: int
    hold_days: int


def waiting_by_hand(order: Order) -> bool:
    return (order.payment_method in ("cod", "bank_transfer") and order.paid_at is None
            and OrderStatus(order.status) not in ORDER_CALLED_OFF)


def offline_state(order: Order) -> OrderState:
    """The headline of an order paid by hand that is still waiting for its money (or was
    called off with some of it received, which goes back)."""
    if OrderStatus(order.status) in ORDER_CALLED_OFF:
        return _called_off_with_money(order)
    total = format_money(order.total, order.currency)
    if order.payment_method == "cod":
        return OrderState("Order confirmed: you pay on delivery",
                          f"Please have {total} ready in cash when your order arrives.",
                          False, False, None)
    days = method_settings(order.store_id).bank_transfer_hold_days
    return OrderState("Awaiting your bank transfer",
                      f"We keep your items for {days} day{'s' if days != 1 else ''} while "
                      "your transfer arrives: the details are below, and in the e-mail we "
                      "sent you. We send your order once the money is on our account.",
                      False, False, None)


def _called_off_with_money(order: Order) -> OrderState:
    received = format_money(order_balance(order).received, order.currency)
    why = "was canceled" if order.status == OrderStatus.CANCELED else "expired"
    if order.payment_status == PaymentStatus.REFUNDED:
        return OrderState(f"This order {why}, and your transfer was paid back",
                          f"We paid the {received} we received back to you directly; the "
                          "e-mail we sent says how.", False, False, None)
    return OrderState(f"This order {why}", f"We received {received} by bank transfer for "
                      "it. We will pay it back to you and e-mail you when we have.",
                      False, False, None)


def transfer_instructions(order: Order) -> TransferInstructions | None:
    if order.payment_method != "bank_transfer" or not waiting_by_hand(order) \
            or not order.payment_reference:
        return None
    settings = method_settings(order.store_id)
    balance = order_balance(order)
    return TransferInstructions(settings.bank_account, grouped(order.payment_reference),
                                balance.owed, balance.received,
                                settings.bank_transfer_hold_days)


bp.add_app_template_global(transfer_instructions, "transfer_instructions")
