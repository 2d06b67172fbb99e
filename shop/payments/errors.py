"""Every error of the API in one table: exception → HTTP status; the code is the exception's.

Bodies are always ``{"error": {"code": ..., "message": ...}}``. docs/openapi.yaml lists the
same codes per endpoint, and tests/http/test_api_contract.py checks that each is real.
"""

from __future__ import annotations

import logging

from flask import jsonify
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..domain import ledger
from ..domain.errors import DomainError, IllegalTransition
from ..domain.refund_policy import OutsideRefundWindow, RefundAboveLimit
from ..services.payments.attempts import AttemptExists, OrderNotPayable
from ..services.payments.errors import GatewayError
from ..services.platform.idempotency import IdempotencyKeyInUse, IdempotencyKeyReused
from . import bp

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error found by the API layer itself (input, authentication)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code


STATUS: dict[type[Exception], int] = {
    ledger.NotFound: 404,
    # The caller's role does not allow this refund; an owner may make it.
    RefundAboveLimit: 403,
    OutsideRefundWindow: 403,
    IllegalTransition: 409,
    ledger.OperationInProgress: 409,
    ledger.NotRefundable: 409,
    AttemptExists: 409,
    OrderNotPayable: 409,
    IdempotencyKeyInUse: 409,
    IdempotencyKeyReused: 422,
    ledger.InvalidAmount: 422,
    ledger.RefundExceedsBalance: 422,
    ledger.ProviderRefused: 502,
    ledger.ProviderUnavailable: 503,
}


def render(exc: Exception) -> tuple[dict, int]:
    """The JSON body and status for an exception the API answers with."""
    if isinstance(exc, ApiError):
        return _body(exc.code, str(exc)), exc.status
    if isinstance(exc, CSRFError):
        # 400 like every CSRF failure of the app (Flask-WTF's own status), forms included.
        return _body("csrf_failed", "Send the session's CSRF token in X-CSRFToken."), 400
    if isinstance(exc, HTTPException):
        code = exc.name.lower().replace(" ", "_")
        return _body(code, exc.description or exc.name), exc.code or 500
    if isinstance(exc, GatewayError):
        return _body("provider_unavailable", f"Stripe could not be reached: {exc}"), 503
    if isinstance(exc, DomainError):
        status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 422)
        return _body(exc.code, str(exc)), status
    return _body("internal_error", "The request failed; nothing was recorded as done."), 500


def _body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


@bp.errorhandler(Exception)
def api_error(exc: Exception):
    body, status = render(exc)
    if status >= 500 and not isinstance(exc, DomainError | GatewayError):
        from ..extensions import db

        db.session.rollback()
        log.exception("payments API error")
    return jsonify(body), status
