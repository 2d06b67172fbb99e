"""Order jobs."""

from __future__ import annotations

from ..services.shortage import refund_out_of_stock
from .runtime import app_job


@app_job
def refund_out_of_stock_order(order_id: int) -> str:
    """Give the money back for an order paid after its stock was gone (AUTO_REFUND_OUT_OF_STOCK)."""
    return refund_out_of_stock(order_id=order_id)
