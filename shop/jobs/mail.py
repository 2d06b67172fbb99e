"""Mail jobs: each sends at most once however often it runs."""

from __future__ import annotations

from ..domain.states import OrderStatus
from ..services.notifications import mail as notifications
from .runtime import app_job


@app_job
def send_receipt(order_id: int, kind: str = notifications.RECEIPT) -> bool:
    return notifications.send_receipt(order_id, kind)


@app_job
def send_cancellation_email(order_id: int, by_staff: bool = False, received: int = 0) -> bool:
    return notifications.send_order_closed(order_id, OrderStatus.CANCELED, by_staff=by_staff,
                                           received=received)


@app_job
def send_expiry_email(order_id: int) -> bool:
    return notifications.send_order_closed(order_id, OrderStatus.EXPIRED)


@app_job
def send_refund_email(order_id: int, refund_ref: str, amount: int | None = None) -> bool:
    """For the refund ledger to ask for (through the outbox) once a refund is created."""
    return notifications.send_refund_notice(order_id, refund_ref, amount)


@app_job
def send_shipped_email(order_id: int) -> bool:
    """Asked for (through the outbox) when staff mark the order shipped."""
    return notifications.send_shipped_notice(order_id)


@app_job
def send_payment_instructions(order_id: int) -> bool:
    """Cash on delivery or bank transfer: how to pay, asked for at checkout (outbox)."""
    from ..services.notifications.instructions import send_payment_instructions as send

    return send(order_id)


@app_job
def send_transfer_reminder(order_id: int) -> bool:
    from ..services.notifications.instructions import send_transfer_reminder as send

    return send(order_id)


@app_job
def send_expiry_emails(order_ids: list[int]) -> int:
    """One outbox row per expiry batch: each order's e-mail is still sent at most once."""
    return sum(1 for order_id in order_ids
               if notifications.send_order_closed(order_id, OrderStatus.EXPIRED))
