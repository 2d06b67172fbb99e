"""The API's input checks and its JSON shapes (described in docs/openapi.yaml)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload

from flask import Request

from ..domain.ledger import summarize
from ..domain.numbers import MAX_ID, MAX_PER_PAGE, OutOfBounds, bounded_int
from ..domain.states import AttemptStatus
from ..models import PaymentAttempt, PaymentTransaction, ReconciliationRun
from ..services.payments.queries import Page, PaymentFilters, expiring_cutoff
from ..services.refunds.refunds import STRIPE_REASONS
from .errors import ApiError

MAX_INT = MAX_ID


def invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "validation_error", f"{field}: {message}")


def json_body(request: Request, allowed: set[str]) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object "
                                            "(Content-Type: application/json).")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise invalid(unknown[0], "unknown field")
    return body


def integer(body: dict, field: str, *, required: bool, minimum: int = 1) -> int | None:
    value = body.get(field)
    if value is None:
        if required:
            raise invalid(field, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(field, "must be an integer")
    if not minimum <= value <= MAX_INT:
        raise invalid(field, f"must be between {minimum} and {MAX_INT}")
    return value


def choice(body: dict, field: str, choices: tuple[str, ...]) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if value not in choices:
        raise invalid(field, f"must be one of {', '.join(choices)}")
    return value


def text(body: dict, field: str, max_length: int = 500) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise invalid(field, f"must be a string of at most {max_length} characters")
    return value


def attempt_request(request: Request) -> dict:
    body = json_body(request, {"order_id", "capture_method"})
    return {"order_id": integer(body, "order_id", required=True),
            "capture_method": choice(body, "capture_method", ("automatic", "manual"))}


def capture_request(request: Request) -> dict:
    body = json_body(request, {"attempt_id", "amount"})
    return {"attempt_id": integer(body, "attempt_id", required=True),
            "amount": integer(body, "amount", required=False)}


def void_request(request: Request) -> dict:
    body = json_body(request, {"attempt_id", "reason"})
    return {"attempt_id": integer(body, "attempt_id", required=True),
            "reason": text(body, "reason")}


def refund_request(request: Request) -> dict:
    body = json_body(request, {"attempt_id", "amount", "reason", "note"})
    return {"attempt_id": integer(body, "attempt_id", required=True),
            "amount": integer(body, "amount", required=False),
            "reason": choice(body, "reason", STRIPE_REASONS),
            "note": text(body, "note")}


@overload
def _query_int(args, name: str, default: int, maximum: int = ...) -> int: ...
@overload
def _query_int(args, name: str, default: None, maximum: int = ...) -> int | None: ...
def _query_int(args, name: str, default: int | None, maximum: int = MAX_INT) -> int | None:
    raw = args.get(name)
    if raw is None:
        return default
    try:
        return bounded_int(raw, maximum=maximum)
    except OutOfBounds as exc:
        raise invalid(name, f"must be an integer between 1 and {maximum}") from exc


def _query_datetime(args, name: str) -> datetime | None:
    raw = args.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise invalid(name, "must be an ISO 8601 date or date-time") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def list_request(args, now: datetime) -> tuple[PaymentFilters, int, int]:
    status = args.get("status")
    if status is not None and status not in set(AttemptStatus):
        raise invalid("status", f"must be one of {', '.join(AttemptStatus)}")
    expiring = args.get("expiring", "0")
    if expiring not in ("0", "1"):
        raise invalid("expiring", "must be 0 or 1")
    search = args.get("q") or None
    if search is not None and len(search) > 200:
        raise invalid("q", "must be at most 200 characters")
    filters = PaymentFilters(
        order_id=_query_int(args, "order_id", None),
        status=AttemptStatus(status) if status else None,
        created_from=_query_datetime(args, "created_from"),
        created_to=_query_datetime(args, "created_to"),
        search=search,
        expiring_before=expiring_cutoff(now) if expiring == "1" else None)
    return (filters, _query_int(args, "page", 1),
            _query_int(args, "per_page", 20, maximum=MAX_PER_PAGE))


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def transaction_json(row: PaymentTransaction) -> dict:
    failure = ({"code": row.failure_code, "message": row.failure_message}
               if row.failure_code else None)
    return {"id": row.id, "kind": row.kind, "status": row.status, "amount": row.amount,
            "currency": row.currency, "parent_id": row.parent_id,
            "provider_reference": row.provider_reference, "failure": failure,
            "reason": row.reason, "actor": row.actor, "created_at": _time(row.created_at),
            "updated_at": _time(row.updated_at)}


def attempt_json(attempt: PaymentAttempt) -> dict:
    rows = list(attempt.transactions)
    summary = summarize(rows)
    error = ({"code": attempt.last_error_code, "message": attempt.last_error_message}
             if attempt.last_error_code else None)
    return {
        "id": attempt.id, "store_id": attempt.store_id, "order_id": attempt.order_id,
        "status": attempt.status, "amount": attempt.amount, "currency": attempt.currency,
        "provider": attempt.provider, "provider_reference": attempt.provider_reference,
        "capture_method": attempt.capture_method, "attempt_count": attempt.attempt_count,
        "last_error": error, "next_retry_at": _time(attempt.next_retry_at),
        "capture_before": _time(attempt.capture_before),
        "created_at": _time(attempt.created_at), "updated_at": _time(attempt.updated_at),
        "ledger": {"authorized": summary.authorized, "captured": summary.captured,
                   "refunded": summary.refunded, "pending_refunds": summary.pending_refunds,
                   "refundable": summary.refundable, "voided": summary.voided},
        "transactions": [transaction_json(row) for row in rows],
    }


def page_json(page: Page) -> dict:
    return {"items": [attempt_json(a) for a in page.items], "total": page.total,
            "page": page.page, "per_page": page.per_page, "pages": page.pages}


def run_json(run: ReconciliationRun | None) -> dict | None:
    if run is None:
        return None
    return {"id": run.id, "store_id": run.store_id, "trigger": run.trigger,
            "started_at": _time(run.started_at),
            "finished_at": _time(run.finished_at), "examined": run.examined,
            "fixed": run.fixed, "flagged": run.flagged,
            "events_replayed": run.events_replayed, "error": run.error}
