"""What every page shares: the current store, template filters, error pages."""

from __future__ import annotations

import logging
import secrets
from typing import overload
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, render_template, request, session
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from .domain.money import format_money, format_money_in_text, locale_in
from .domain.numbers import MAX_ID, MAX_PAGE, OutOfBounds, bounded_int
from .domain.pricing import RateTable, method_label
from .domain.regions import country_name
from .extensions import db
from .models import Store

log = logging.getLogger(__name__)

CART_SESSION_KEY = "cart_token"
BROWSER_SESSION_KEY = "browser_id"


def current_store() -> Store:
    if "store" not in g:
        from .services.catalog import cache as catalog_cache

        store = catalog_cache.store(current_app.config["SHOP_STORE_SLUG"])
        if store is None:
            abort(503, description="The shop has no catalog yet: run `flask --app wsgi shop seed`.")
        g.store = store
    return g.store


def shop_locale() -> str:
    """How the storefront writes money and dates: SHOP_LOCALE in the store's country
    (``domain.money.locale_in``); SHOP_LOCALE itself before the store exists."""
    if "shop_locale" not in g:
        from .services.catalog import cache as catalog_cache

        store = g.get("store") or catalog_cache.store(current_app.config["SHOP_STORE_SLUG"])
        configured = current_app.config["SHOP_LOCALE"]
        g.shop_locale = locale_in(configured, store.country) if store else configured
    return g.shop_locale


def current_settings():
    """The storefront store's effective settings (owner's choices over config defaults)."""
    if "shop_settings" not in g:
        from .services.platform.settings import effective_settings

        g.shop_settings = effective_settings(current_store().id)
    return g.shop_settings


def current_rates() -> RateTable:
    return current_settings().rates


def cart_token() -> str | None:
    return session.get(CART_SESSION_KEY)


def remember_cart(token: str) -> None:
    session[CART_SESSION_KEY] = token


def shopper_session_key() -> str:
    """Whose open checkouts the per-session cap counts: a signed-in shopper's account (its
    carts on every device and sign-in), else this browser session, by a random id kept in
    the session cookie from its first checkout."""
    from flask_login import current_user

    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    value = session.get(BROWSER_SESSION_KEY)
    if not isinstance(value, str) or not value:
        value = session[BROWSER_SESSION_KEY] = secrets.token_urlsafe(16)
    return f"browser:{value}"


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route, capped at MAX_ID: a huge id is a 404, not an overflow."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


@overload
def query_int(name: str, default: int, *, maximum: int = ...) -> int: ...
@overload
def query_int(name: str, default: None = None, *, maximum: int = ...) -> int | None: ...
def query_int(name: str, default: int | None = None, *, maximum: int = MAX_ID) -> int | None:
    """``request.args[name]`` as a whole number from 1 to ``maximum``; ``default`` when it is
    absent or empty; anything else is a 400 that says what is accepted."""
    raw = request.args.get(name, "")
    if not raw.strip():
        return default
    try:
        return bounded_int(raw, maximum=maximum)
    except OutOfBounds as exc:
        abort(400, description=f"{name} {exc}.")


def query_page() -> int:
    return query_int("page", 1, maximum=MAX_PAGE)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: ``next=`` is never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def safe_referrer() -> str | None:
    """The Referer as a path if it is a page of this site, else None (it is client input)."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host or parts.scheme not in ("http", "https"):
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


def _cart_count() -> int:
    from .services.cart.carts import find_cart, view_cart

    token = cart_token()
    if not token:
        return 0
    return view_cart(find_cart(token, current_store().id)).count


def shop_money(amount: int, currency: str = "USD") -> str:
    """Money in the shop's locale (``shop_locale``): the ``money`` filter, views' messages."""
    return format_money(amount, currency, shop_locale())


def _money_text(text: str | None) -> str:
    return format_money_in_text(text or "", shop_locale())


def _date(moment, style: str = "long") -> str:
    from babel.dates import format_date

    return format_date(moment, format=style, locale=shop_locale())


def _payment_method_label(method: str | None) -> str:
    """How the shop names an order's payment method ("Cash on delivery")."""
    from .services.payments.methods import LABELS

    return LABELS.get(method or "stripe", method or "")


def register_web(app: Flask) -> None:
    from .services.catalog.cache import CatalogCache

    app.url_map.converters["int"] = IdConverter  # before any blueprint adds its rules
    app.extensions["catalog_cache"] = CatalogCache(app.config["CATALOG_CACHE_SECONDS"])
    app.jinja_env.filters["money"] = shop_money
    app.jinja_env.filters["money_text"] = _money_text
    app.jinja_env.filters["date"] = _date
    app.jinja_env.filters["country_name"] = country_name
    app.jinja_env.filters["shipping_label"] = method_label
    app.jinja_env.filters["payment_method_label"] = _payment_method_label
    app.jinja_env.globals["cart_count"] = _cart_count

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith(("/webhooks/", "/api/")):
            return {"error": {"code": exc.name.lower().replace(" ", "_"),
                              "message": exc.description}}, exc.code
        return render_template("error.html", error=exc), exc.code

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error", extra={"path": request.path})
        if request.path.startswith(("/webhooks/", "/api/")):
            return {"error": {"code": "internal_error", "message": "processing failed"}}, 500
        return render_template("error.html", error=None), 500
