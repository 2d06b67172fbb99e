"""What every page shares: the current store, template filters, error pages."""

from __future__ import annotations

import logging

from flask import Flask, abort, current_app, g, render_template, request, session
from werkzeug.exceptions import HTTPException

from .domain.money import format_money
from .domain.pricing import DEFAULT_RATES, RateTable
from .extensions import db
from .models import Store

log = logging.getLogger(__name__)

CART_SESSION_KEY = "cart_token"


def current_store() -> Store:
    if "store" not in g:
        from .services.catalog import store_by_slug

        store = store_by_slug(current_app.config["SHOP_STORE_SLUG"])
        if store is None:
            abort(503, description="The shop has no catalog yet: run `flask --app wsgi shop seed`.")
        g.store = store
    return g.store


def current_rates() -> RateTable:
    return DEFAULT_RATES


def cart_token() -> str | None:
    return session.get(CART_SESSION_KEY)


def remember_cart(token: str) -> None:
    session[CART_SESSION_KEY] = token


def _cart_count() -> int:
    from .services.carts import find_cart, view_cart

    token = cart_token()
    if not token:
        return 0
    return view_cart(find_cart(token, current_store().id)).count


def register_web(app: Flask) -> None:
    app.jinja_env.filters["money"] = lambda amount, currency="USD": format_money(amount, currency)
    app.jinja_env.globals["cart_count"] = _cart_count

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith("/webhooks/"):
            return {"error": {"code": exc.name.lower().replace(" ", "_"),
                              "message": exc.description}}, exc.code
        return render_template("error.html", error=exc), exc.code

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error", extra={"path": request.path})
        if request.path.startswith("/webhooks/"):
            return {"error": {"code": "internal_error", "message": "processing failed"}}, 500
        return render_template("error.html", error=None), 500
