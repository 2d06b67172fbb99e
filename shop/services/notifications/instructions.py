"""How to pay an order paid by hand: the instructions at checkout (cash on delivery, or the
bank details and reference of a transfer) and a bank transfer's reminder a day later. Each
sent once per order, like every notice (mail._send_once)."""

from __future__ import annotations

from ...domain.payment_methods.bank_reference import grouped
from ...models import Order
from ..payments.methods import method_settings
from .mail import Mail, _render, _send_once

INSTRUCTIONS = "payment_instructions"
REMINDER = "transfer_reminder"


def _context(order: Order) -> dict:
    settings = method_settings(order.store_id)
    return {"bank_account": settings.bank_account,
            "hold_days": settings.bank_transfer_hold_days,
            "reference": grouped(order.payment_reference) if order.payment_reference else None}


def send_payment_instructions(order_id: int) -> bool:
    """Cash on delivery: what to have ready. Bank transfer: where to send what, by when."""

    def build(order: Order) -> Mail | None:
        if order.payment_method not in ("cod", "bank_transfer") or order.paid_at is not None:
            return None
        subject = (f"How to pay for your order {order.number}"
                   if order.payment_method == "bank_transfer"
                   else f"Your order {order.number}: pay on delivery")
        return _render("payment_instructions", order, subject, **_context(order))

    return _send_once(order_id, INSTRUCTIONS, build)


def send_transfer_reminder(order_id: int) -> bool:
    """A day after the order, if the transfer has not (all) arrived and the order is open."""

    def build(order: Order) -> Mail | None:
        if order.payment_method != "bank_transfer" or order.paid_at is not None \
                or order.status != "pending":
            return None
        return _render("transfer_reminder", order,
                       f"Reminder: your order {order.number} is waiting for your transfer",
                       **_context(order))

    return _send_once(order_id, REMINDER, build)
