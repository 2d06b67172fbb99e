"""Every error of the API as JSON: each exception carries its code and status
(``shop/domain/errors.py``).

Bodies are always ``{"error": {"code": ..., "message": ...}}``. docs/openapi.yaml lists the
same codes per endpoint, and tests/http/test_api_contract.py checks that each is real.
"""

from __future__ import annotations

import logging

from flask import jsonify
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..domain.errors import DomainError
from ..services.payments.errors import GatewayError
from . import bp

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error found by the API layer itself (input, authentication)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code




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
        return _body(exc.code, str(exc)), exc.status
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
