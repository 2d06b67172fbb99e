"""Answers for when a part around the app fails: the database is busy or away.

The transaction was rolled back whole (``write_transaction``), so the shopper can simply
try again; Stripe retries a webhook that got a 503.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import ServiceUnavailable

from .extensions import db

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


def wants_json() -> bool:
    """API and webhook paths, JSON bodies and clients that prefer JSON get JSON errors."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (request.path.startswith(("/api/", "/webhooks/")) or request.is_json
            or best == "application/json")


def _csrf_failed(exc: CSRFError):
    if wants_json():
        return {"error": {"code": "csrf_failed", "message": exc.description}}, 400
    return render_template("error.html", error=exc), 400


def _database_unavailable(exc: OperationalError):
    db.session.rollback()
    log.error("database unavailable or lock timeout", exc_info=exc,
              extra={"path": request.path})
    message = ("The shop is very busy and could not save that just now. Nothing was saved "
               "and nothing was charged: please try again in a few seconds.")
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if wants_json():
        return {"error": {"code": "service_unavailable", "message": message}}, 503, headers
    error = ServiceUnavailable(message)
    return render_template("error.html", error=error), 503, headers


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(CSRFError, _csrf_failed)
