"""Staff pages under /admin: every request passes ``access.load_admin`` first."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import (  # noqa: E402,F401
    access,
    alerts,
    dashboard,
    filters,
    money,
    offline_payments,
    order_actions,
    orders,
    payment_settings,
    payments,
    product_images,
    products,
    receipts,
    settings,
    staff,
    stock,
    variants,
    webhooks,
)
