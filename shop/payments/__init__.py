"""The payments JSON API (``/api/payments``): staff sessions or per-store API keys."""

from flask import Blueprint

bp = Blueprint("payments", __name__, url_prefix="/api/payments")

from . import auth, errors, views  # noqa: E402,F401
