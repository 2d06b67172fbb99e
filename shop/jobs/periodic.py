"""Periodic jobs: ``rq cron`` runs them (cron.py); without Redis, ``flask shop run-periodic``.

Each reloads what it needs and may run twice (or concurrently with itself) safely.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from .runtime import app_job, config

log = logging.getLogger(__name__)


@app_job
def expire_holds() -> dict[str, int]:
    """Orders whose holds lapsed, in SQL batches (path 1 of services/inventory/expiry.py)."""
    from ..services.inventory.expiry import expire_lapsed_orders

    return expire_lapsed_orders().as_dict()


@app_job
def cancel_unpaid_orders() -> dict[str, int]:
    """Orders unpaid too long, Stripe first (path 2 of services/inventory/expiry.py)."""
    from ..services.inventory.expiry import cancel_stale_unpaid_orders

    return cancel_stale_unpaid_orders().as_dict()


@app_job
def remind_bank_transfers() -> int:
    """Bank-transfer orders a day old and still unpaid: one reminder e-mail each."""
    from ..services.notifications.instructions import send_transfer_reminder
    from ..services.payments.transfers import orders_to_remind

    return sum(1 for order_id in orders_to_remind() if send_transfer_reminder(order_id))


@app_job
def redispatch_outbox() -> int:
    from ..services.notifications.outbox import dispatch_pending

    return dispatch_pending()


@app_job
def purge_webhook_events() -> int:
    from ..services.webhooks.events import purge_webhook_events as purge

    return purge(older_than=timedelta(days=config("WEBHOOK_EVENT_RETENTION_DAYS")))


@app_job
def purge_outbox() -> int:
    from ..services.notifications.outbox import purge_dispatched

    return purge_dispatched(older_than=timedelta(days=7))


@app_job
def reconcile_payments() -> dict[str, int]:
    """Every store, one run each; the figures returned are their totals."""
    from ..services.payments.reconciliation import run_reconciliation

    runs = run_reconciliation(trigger="job")
    return {"stores": len(runs), **{figure: sum(getattr(run, figure) for run in runs)
                                    for figure in ("examined", "fixed", "flagged",
                                                   "events_replayed")}}


@app_job
def alert_expiring_authorizations() -> int:
    from ..services.platform.alerts import alert_expiring_authorizations as alert

    return alert()


@app_job
def evaluate_alerts() -> dict[str, int]:
    """Threshold alerts of every store: opened, or resolved once clear for a window."""
    from ..services.platform.thresholds import evaluate_alerts as evaluate

    return evaluate().as_dict()


@app_job
def purge_idempotency_keys() -> int:
    from ..models.types import utcnow
    from ..services.platform.idempotency import KEEP_FOR, purge_idempotency_records

    return purge_idempotency_records(older_than=utcnow() - KEEP_FOR)


@app_job
def archive_orders() -> dict[str, int]:
    """Closed orders older than each store's ARCHIVE_AFTER_DAYS, in audited batches."""
    from ..services.orders.archive import archive_orders as archive

    return archive().as_dict()


@dataclass(frozen=True)
class Periodic:
    name: str
    func: Callable[[], object]
    interval: int | None = None  # seconds
    cron: str | None = None  # crontab, in the cron process's local time


PERIODIC: tuple[Periodic, ...] = (
    Periodic("expire_holds", expire_holds, interval=60),
    Periodic("redispatch_outbox", redispatch_outbox, interval=60),
    Periodic("cancel_unpaid_orders", cancel_unpaid_orders, cron="*/15 * * * *"),
    Periodic("remind_bank_transfers", remind_bank_transfers, cron="17 * * * *"),
    Periodic("reconcile_payments", reconcile_payments, cron="*/10 * * * *"),
    Periodic("evaluate_alerts", evaluate_alerts, cron="*/5 * * * *"),
    Periodic("alert_expiring_authorizations", alert_expiring_authorizations,
             cron="7 * * * *"),
    Periodic("purge_webhook_events", purge_webhook_events, cron="23 3 * * *"),
    Periodic("purge_idempotency_keys", purge_idempotency_keys, cron="33 3 * * *"),
    Periodic("purge_outbox", purge_outbox, cron="43 3 * * *"),
    Periodic("archive_orders", archive_orders, cron="53 3 * * *"),
)


def by_name(name: str) -> Periodic:
    for job in PERIODIC:
        if job.name == name:
            return job
    raise LookupError(name)
