"""Rate limits (Flask-Limiter) and the card-testing guard, with 429s that explain.

Every limit is in ``ROUTE_LIMITS``, keyed by endpoint, its value read from the config at
request time (see README for the variables). Storage is Redis when ``REDIS_URL`` is set,
memory otherwise. When Redis is down the limiter falls back to per-process memory with a
logged warning, and if even that fails the request goes through: a rate limit must never
take the shop down.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, render_template, request, session
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user
from werkzeug.exceptions import TooManyRequests

from .errors import wants_json
from .extensions import limiter
from .services.accounts.api_keys import prefix_of
from .services.payments import card_testing

log = logging.getLogger(__name__)


def ip_key() -> str:
    return f"ip:{get_remote_address()}"


def session_key() -> str:
    """The browser session: its cart, else its signed-in user, else its address."""
    from .web import CART_SESSION_KEY

    cart = session.get(CART_SESSION_KEY)
    if cart:
        return f"cart:{cart}"
    user = session.get("_user_id")
    return f"user:{user}" if user else ip_key()


def _form_email() -> str:
    return (request.form.get("email") or "").strip().lower()[:254]


def account_key() -> str:
    """The e-mail address a form names (whether or not it has an account), else the address."""
    email = _form_email()
    return f"account:{email}" if email else ip_key()


def lookup_email_key() -> str:
    """The e-mail a guest order lookup asks about, however it is capitalised."""
    email = _form_email()
    return f"lookup:{email}" if email else ip_key()


def account_ip_key() -> str:
    """One account tried from one address: what a password guesser is throttled by, so that
    the account's owner, from anywhere else, is not."""
    return f"account:{_form_email()}|{ip_key()}"


def user_key() -> str:
    """The signed-in user, wherever they are (pages that need a sign-in)."""
    return f"user:{session.get('_user_id')}"


def user_ip_key() -> str:
    """The signed-in user from one address (their current password asked again)."""
    return f"user:{session.get('_user_id')}|{ip_key()}"


def _setting(name: str):
    def provider() -> str:
        return current_app.config[name]

    provider.__name__ = provider.__qualname__ = f"limit_{name.lower()}"
    return provider


def staff_key() -> str:
    """Who acts in the admin or the staff API: the API key (its public prefix; an unknown
    key is refused right after, uncounted or not) or the signed-in person."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return f"api_key:{prefix_of(token.strip())}"
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{get_remote_address()}"


def _failed_login(response) -> bool:
    return response.status_code == 401


@dataclass(frozen=True)
class Rule:
    setting: str
    key: Callable[[], str]
    methods: tuple[str, ...] | None = None
    deduct_when: Callable[[Response], bool] | None = None


ROUTE_LIMITS: dict[str, list[Rule]] = {
    "checkout.submit": [Rule("RATELIMIT_CHECKOUT_PER_IP", ip_key),
                        Rule("RATELIMIT_CHECKOUT_PER_SESSION", session_key)],
    # The payment page is where a PaymentIntent is created (or fetched).
    "orders.pay": [Rule("RATELIMIT_PAYMENT_PER_IP", ip_key),
                   Rule("RATELIMIT_PAYMENT_PER_SESSION", session_key)],
    # Only failed sign-ins count, per address and per (account, address): an address that
    # has not failed is never refused, so nobody can lock an owner out by guessing wrong.
    # Each setting lists windows of growing length ("5 per minute;10 per 15 minutes;..."),
    # so a guesser's refusals say "try again in" longer and longer.
    "auth.login": [Rule("RATELIMIT_LOGIN_PER_IP", ip_key, ("POST",), _failed_login),
                   Rule("RATELIMIT_LOGIN_PER_ACCOUNT", account_ip_key, ("POST",),
                        _failed_login)],
    "account.change_password": [Rule("RATELIMIT_LOGIN_PER_ACCOUNT", user_ip_key, ("POST",),
                                     _failed_login)],
    # Every POST counts (each may send an e-mail), whether or not the address has an
    # account: the limits say nothing about which addresses do.
    "auth.register": [Rule("RATELIMIT_REGISTER_PER_IP", ip_key, ("POST",)),
                      Rule("RATELIMIT_REGISTER_PER_EMAIL", account_key, ("POST",))],
    "auth.forgot_password": [Rule("RATELIMIT_RESET_PER_IP", ip_key, ("POST",)),
                             Rule("RATELIMIT_RESET_PER_EMAIL", account_key, ("POST",))],
    "auth.resend_verification": [Rule("RATELIMIT_VERIFY_PER_IP", ip_key, ("POST",)),
                                 Rule("RATELIMIT_VERIFY_PER_EMAIL", account_key, ("POST",))],
    "account.new_payment_method": [Rule("RATELIMIT_SAVED_CARDS_PER_USER", user_key)],
    "account.default_payment_method": [Rule("RATELIMIT_SAVED_CARDS_PER_USER", user_key)],
    "account.remove_payment_method": [Rule("RATELIMIT_SAVED_CARDS_PER_USER", user_key)],
    # Every lookup counts, found or not: the answer is the same either way.
    "orders.lookup": [Rule("RATELIMIT_LOOKUP_PER_IP", ip_key, ("POST",)),
                      Rule("RATELIMIT_LOOKUP_PER_EMAIL", lookup_email_key, ("POST",))],
}
# Every state-changing request of these blueprints shares one budget per staff member
# (RATELIMIT_ADMIN_ACTIONS). The Stripe webhook is not among them: Stripe sends bursts, and
# its signature is checked before anything else is done (docs/operations.md).
ADMIN_BLUEPRINTS = frozenset({"admin", "payments"})
STATE_CHANGING = ["POST", "PUT", "PATCH", "DELETE"]
_ADMIN_ACTIONS = limiter.shared_limit(_setting("RATELIMIT_ADMIN_ACTIONS"), scope="admin_actions",
                                      key_func=staff_key, methods=STATE_CHANGING)
# Pages that create a PaymentIntent: refused while a session or address has too many failed
# payments behind it (failures are counted where settling records them).
CARD_TESTING_GUARDED = frozenset({"checkout.submit", "orders.pay"})

# Built once: the same limit objects on every app, so registering them again is a no-op.
_DECORATORS = {
    endpoint: [
        limiter.limit(_setting(rule.setting), key_func=rule.key,
                      methods=list(rule.methods) if rule.methods else None,
                      deduct_when=rule.deduct_when)
        for rule in rules
    ]
    for endpoint, rules in ROUTE_LIMITS.items()
}


class PaymentFailuresExceeded(TooManyRequests):
    retry_after: int

    def __init__(self, retry_after: int):
        super().__init__("Too many payments from your connection were declined.")
        self.retry_after = retry_after


def _storage_options(url: str) -> dict:
    if url.startswith(("redis://", "rediss://", "unix://")):
        # A Redis that is away must cost a request milliseconds, not a timeout.
        return {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    return {}


def init_rate_limits(app: Flask) -> None:
    """Bind the limiter; call after the blueprints are registered."""
    storage = app.config.get("RATELIMIT_STORAGE_URI") or app.config.get("REDIS_URL") \
        or "memory://"
    app.config.setdefault("RATELIMIT_STORAGE_URI", storage)
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", _storage_options(storage))
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "shop")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
    if storage.startswith("memory://") and app.config["SHOP_ENV"] == "production":
        log.warning("rate limits are per process: without REDIS_URL every worker counts on "
                    "its own, so each limit is multiplied by the number of workers "
                    "(see docs/operations.md)", extra={"storage": "memory"})
    for endpoint, decorators in _DECORATORS.items():
        # A KeyError here: the table names a lost route.
        view: Callable[..., Any] = app.view_functions[endpoint]
        for decorate in decorators:
            view = decorate(view)
        app.view_functions[endpoint] = view
    for endpoint in [e for e in app.view_functions if e.split(".")[0] in ADMIN_BLUEPRINTS]:
        admin_view: Callable[..., Any] = app.view_functions[endpoint]
        app.view_functions[endpoint] = _ADMIN_ACTIONS(admin_view)
    app.before_request(_guard_card_testing)
    app.register_error_handler(429, _too_many_requests)


def rate_limit_scope() -> str:
    """``shared`` when all workers count in one store (Redis); ``per-process`` when each
    counts alone (no REDIS_URL, or Redis away and the in-memory fallback in use)."""
    if current_app.config["RATELIMIT_STORAGE_URI"].startswith("memory://") \
            or limiter._storage_dead:
        return "per-process"
    return "shared"


def _guard_card_testing() -> None:
    if request.endpoint not in CARD_TESTING_GUARDED:
        return
    wait = card_testing.retry_after(client_ip=get_remote_address(),
                                    session_key=session_key())
    if wait:
        raise PaymentFailuresExceeded(wait)


def _retry_after(exc: TooManyRequests) -> int:
    if isinstance(exc, PaymentFailuresExceeded):
        return exc.retry_after
    current = limiter.current_limit if isinstance(exc, RateLimitExceeded) else None
    if current is not None:
        return max(1, math.ceil(current.reset_at - time.time()))
    return 60


def _in_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes" if minutes < 90 else f"{math.ceil(minutes / 60)} hours"


def _refusal(exc: TooManyRequests, wait: int) -> str:
    later = f"try again in {_in_words(wait)}."
    if isinstance(exc, PaymentFailuresExceeded):
        return ("Too many payments from your connection were declined. To protect "
                f"cardholders, payment is paused: {later} Nothing was charged.")
    if request.endpoint in ("auth.login", "account.change_password"):
        return (f"Too many wrong passwords from your connection: {later} Forgot your "
                "password? You can reset it by e-mail meanwhile.")
    if request.blueprint in ADMIN_BLUEPRINTS:
        return (f"Too many changes from your account in a short time: {later} Pages can "
                "still be read meanwhile.")
    if request.endpoint in ("auth.register", "auth.forgot_password",
                            "auth.resend_verification"):
        return f"Too many requests from your connection. Please slow down: {later}"
    return f"Too many requests from your connection. Please slow down: {later} " \
        "Nothing was charged."


def _too_many_requests(exc: TooManyRequests):
    wait = _retry_after(exc)
    message = _refusal(exc, wait)
    log.warning("rate limited", extra={"endpoint": request.endpoint, "retry_after": wait,
                                       "limit": str(getattr(exc, "limit", "card_testing"))})
    headers = {"Retry-After": str(wait)}
    if wants_json():
        return {"error": {"code": "rate_limited", "message": message,
                          "retry_after": wait}}, 429, headers
    exc.description = message
    return render_template("error.html", error=exc), 429, headers
