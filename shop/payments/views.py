from flask import current_app, request
from flask_wtf.csrf import generate_csrf

from ..models.types import utcnow
from ..services.payments import queries
from ..services.payments.attempts import create_attempt
from ..services.payments.capture import capture_payment, void_payment
from ..services.payments.reconciliation import run_reconciliation
from ..services.refunds.refunds import refund_payment
from . import bp
from . import schemas as s
from .auth import principal
from .idempotency import idempotency_key, run_once


def _action(attempt_id: int, row) -> tuple[dict, int]:
    attempt = queries.get_payment(attempt_id=attempt_id, store_ids=principal().store_ids)
    return {"attempt": s.attempt_json(attempt),
            "transaction": s.transaction_json(row) if row is not None else None}, 200


@bp.get("/csrf")
def csrf_token():
    return {"csrf_token": generate_csrf()}


@bp.post("/attempt")
def create():
    data, me = s.attempt_request(request), principal()
    key = idempotency_key(required=True)
    store_id = queries.order_store(order_id=data["order_id"], store_ids=me.store_ids)

    def work():
        attempt = create_attempt(order_id=data["order_id"], actor=me.actor,
                                 capture_method=data["capture_method"], store_ids=me.store_ids)
        return {"attempt": s.attempt_json(attempt), "is_existing": False}, 201

    return run_once(key, store_id, work)


@bp.post("/capture")
def capture():
    data, me = s.capture_request(request), principal()
    store_id = queries.attempt_store(attempt_id=data["attempt_id"], store_ids=me.store_ids)
    return run_once(idempotency_key(required=False), store_id, lambda: _action(
        data["attempt_id"], capture_payment(attempt_id=data["attempt_id"], amount=data["amount"],
                                            actor=me.actor, store_ids=me.store_ids)))


@bp.post("/void")
def void():
    data, me = s.void_request(request), principal()
    store_id = queries.attempt_store(attempt_id=data["attempt_id"], store_ids=me.store_ids)
    return run_once(idempotency_key(required=False), store_id, lambda: _action(
        data["attempt_id"], void_payment(attempt_id=data["attempt_id"], reason=data["reason"],
                                         actor=me.actor, store_ids=me.store_ids)))


@bp.post("/refund")
def refund():
    data, me = s.refund_request(request), principal()
    store_id = queries.attempt_store(attempt_id=data["attempt_id"], store_ids=me.store_ids)
    return run_once(idempotency_key(required=False), store_id, lambda: _action(
        data["attempt_id"], refund_payment(
            attempt_id=data["attempt_id"], amount=data["amount"], reason=data["reason"],
            note=data["note"], actor=me.actor, store_ids=me.store_ids, by=me.refunder)))


@bp.get("")
def index():
    filters, page, per_page = s.list_request(request.args, utcnow())
    result = queries.list_payments(store_ids=principal().store_ids, filters=filters,
                                   page=page, per_page=per_page)
    return s.page_json(result)


@bp.get("/<int:attempt_id>")
def show(attempt_id: int):
    attempt = queries.get_payment(attempt_id=attempt_id, store_ids=principal().store_ids)
    return {"attempt": s.attempt_json(attempt)}


@bp.get("/reconciliation")
def reconciliation():
    minutes = current_app.config["RECONCILE_STUCK_MINUTES"]
    stuck = queries.stuck_attempts(store_ids=principal().store_ids, now=utcnow(),
                                   stuck_for=queries.minutes(minutes))
    return {"stuck_minutes": minutes, "stuck": [s.attempt_json(a) for a in stuck],
            "last_run": s.run_json(queries.last_reconciliation_run(
                store_ids=principal().store_ids))}


@bp.post("/reconciliation")
def reconcile():
    me = principal()
    runs = run_reconciliation(trigger=me.actor, store_ids=me.store_ids)
    return {"runs": [s.run_json(run) for run in runs]}
