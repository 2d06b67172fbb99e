"""Order jobs."""

from __future__ import annotations

from ..services.refunds.out_of_stock import refund_out_of_stock
from .runtime import app_job


@app_job
def refund_out_of_stock_order(order_id: int) -> str:
    """Give the money back for an order paid after its stock was gone (AUTO_REFUND_OUT_OF_STOCK)."""
    return refund_out_of_stock(order_id=order_id)


@app_job
def close_lapsed_orders(order_ids: list[int]) -> dict[str, int]:
    """Orders with a PaymentIntent whose holds lapsed: Stripe is asked, then each is closed
    (path 2 of services/inventory/expiry.py; the every-minute batch asks for this job)."""
    from ..services.inventory.expiry import close_lapsed_orders as close

    return close(order_ids=order_ids).as_dict()


@app_job
def refund_late_payment(attempt_id: int) -> str:
    """Give back a hosted-page payment that landed after its attempt was given up and that its
    order cannot keep (services/payments/late_payments.py)."""
    from ..services.refunds.late_refunds import refund_late_payment as refund

    return refund(attempt_id=attempt_id)
