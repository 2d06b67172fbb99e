"""The jobs that the outbox may ask for, by name: a stored row can only name one of these."""

from __future__ import annotations

import importlib
from collections.abc import Callable

JOBS: dict[str, str] = {
    "send_receipt": "shop.jobs.mail.send_receipt",
    "send_cancellation_email": "shop.jobs.mail.send_cancellation_email",
    "send_expiry_email": "shop.jobs.mail.send_expiry_email",
    "send_expiry_emails": "shop.jobs.mail.send_expiry_emails",
    "close_lapsed_orders": "shop.jobs.orders.close_lapsed_orders",
    "send_refund_email": "shop.jobs.mail.send_refund_email",
    "refund_out_of_stock_order": "shop.jobs.orders.refund_out_of_stock_order",
    "refund_late_payment": "shop.jobs.orders.refund_late_payment",
    "send_shipped_email": "shop.jobs.mail.send_shipped_email",
    "send_payment_instructions": "shop.jobs.mail.send_payment_instructions",
    "send_transfer_reminder": "shop.jobs.mail.send_transfer_reminder",
    "send_alert_email": "shop.jobs.alerts.send_alert_email",
    "post_alert_webhook": "shop.jobs.alerts.post_alert_webhook",
}


class UnknownJob(LookupError):
    pass


def job_path(name: str) -> str:
    try:
        return JOBS[name]
    except KeyError as exc:
        raise UnknownJob(f"no job named {name!r}") from exc


def resolve(name: str) -> Callable:
    module, _, attr = job_path(name).rpartition(".")
    return getattr(importlib.import_module(module), attr)
