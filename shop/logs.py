"""Logging: a request id on every line, JSON in production, and no secret in any record.

Redaction runs in the log record factory rather than in a filter on the root logger:
Python applies a logger's filters only to records logged on that very logger, not to
those propagating up from ``shop.*``, ``werkzeug`` or ``gunicorn.access``; the factory
sees every record of the process, whichever handler (or pytest's caplog) receives it.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask, g, has_request_context, request

REDACTED = "[REDACTED]"
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "request_id"}

_SECRET_PATTERNS = [
    # Stripe secret and restricted keys, webhook signing secrets.
    (re.compile(r"\b((?:sk|rk)_(?:live|test)_)[A-Za-z0-9]+"), rf"\1{REDACTED}"),
    (re.compile(r"\b(whsec_)[A-Za-z0-9+/=_-]+"), rf"\1{REDACTED}"),
    # A PaymentIntent's client secret: keep the intent id, drop the secret part.
    (re.compile(r"\b(pi_[A-Za-z0-9]+_secret_)[A-Za-z0-9]+"), rf"\1{REDACTED}"),
]
# 13–19 digits, optionally grouped by single spaces or dashes, as card numbers are written.
_CARD_LIKE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _mask_card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if 13 <= len(digits) <= 19 and luhn_valid(digits):
        return "[CARD REDACTED]"
    return match.group(0)


def redact(text: str) -> str:
    """``text`` without Stripe secrets, client secrets or card-like numbers."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return _CARD_LIKE.sub(_mask_card, text)


def _redact_value(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(repr(value)) if not isinstance(value, dict | list | tuple) else \
        json.loads(redact(json.dumps(value, default=str)))


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Render the message with its arguments, then redact it, the traceback and extras."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep what logging would show
        message = str(record.msg)
    record.msg, record.args = redact(message), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
        # The formatter must use the redacted text, not render the exception again.
        record.exc_info = None
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    for key, value in list(vars(record).items()):
        if key not in _STANDARD_ATTRS:
            setattr(record, key, _redact_value(value))
    return record


class RedactSecrets(logging.Filter):
    """The same redaction as a filter, for handlers configured outside the app."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def current_request_id() -> str | None:
    if has_request_context():
        return g.get("request_id")
    return None


def install_record_factory() -> None:
    """Make every record of the process carry the request id and be redacted (idempotent)."""
    previous = logging.getLogRecordFactory()
    if isinstance(previous, _RedactingFactory):
        return
    logging.setLogRecordFactory(_RedactingFactory(previous))


class _RedactingFactory:
    """The log record factory that adds the request id and redacts, around the one before."""

    def __init__(self, previous: Callable[..., logging.LogRecord]):
        self._previous = previous

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self._previous(*args, **kwargs)
        record.request_id = current_request_id() or "-"
        return redact_record(record)


class _ShopHandler(logging.StreamHandler):
    """The handler ``configure_logging`` installs once, however many apps are created."""


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the record's ``extra=`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in entry:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=str)


PLAIN_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def configure_logging(app: Flask) -> None:
    install_record_factory()
    root = logging.getLogger()
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    if not any(isinstance(h, _ShopHandler) for h in root.handlers):
        ours = _ShopHandler()
        ours.addFilter(RedactSecrets())
        root.addHandler(ours)
    for handler in root.handlers:
        if isinstance(handler, _ShopHandler):
            handler.setFormatter(JsonFormatter() if app.config.get("LOG_FORMAT") == "json"
                                 else logging.Formatter(PLAIN_FORMAT))
    _register_request_id(app)


access_log = logging.getLogger("shop.access")


def _register_request_id(app: Flask) -> None:
    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def echo_request_id(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
            elapsed = time.perf_counter() - g.get("request_started", time.perf_counter())
            access_log.info("%s %s %s", request.method, request.path, response.status_code,
                            extra={"status": response.status_code,
                                   "duration_ms": round(elapsed * 1000, 1),
                                   "endpoint": request.endpoint})
        return response
