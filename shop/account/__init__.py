from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from . import payment_methods, receipts, security_views, views  # noqa: E402,F401
