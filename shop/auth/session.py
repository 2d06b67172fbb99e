"""Signing in and out without session fixation, keeping the shopper's cart.

Every sign-in opens a login session on the server (services/accounts/sessions.py) whose token
the session cookie carries; the user loader accepts the cookie only while that login session
exists, so ending it on the server ends every copy of the cookie.
"""

from __future__ import annotations

from functools import partial

from flask import session
from flask_login import current_user, login_user, logout_user

from ..after_response import defer_until_sent
from ..models import User
from ..services.accounts.sessions import (
    close_login_session,
    open_login_session,
    signed_in,
    touch_login_session,
)
from ..services.accounts.verification import claim_guest_orders
from ..services.cart.refill import merge_guest_cart
from ..web import CART_SESSION_KEY, current_store

LOGIN_TOKEN_KEY = "login_token"  # noqa: S105 - a session key name, not a secret


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader. A cookie without a live login session is anonymous: one
    copied before a logout or password change, and Flask-Login's remember-me cookie (the
    shop never sets one, so none may sign anybody in)."""
    found = signed_in(user_id=user_id, token=session.get(LOGIN_TOKEN_KEY))
    if found is None:
        return None
    if found.stale:
        defer_until_sent(partial(touch_login_session, session_id=found.session_id))
    return found.user


def start_session(user: User) -> str | None:
    """Log ``user`` in on a fresh session; returns the guest cart token it carried over."""
    cart_token = session.get(CART_SESSION_KEY)
    # A new session on login: whatever a third party planted in the old one is gone.
    session.clear()
    login_user(user)
    session[LOGIN_TOKEN_KEY] = open_login_session(user_id=user.id)
    if cart_token:
        session[CART_SESSION_KEY] = cart_token
    return cart_token


def sign_in(user: User) -> list[str]:
    """Start the session, merge the guest cart into the account's and, for a verified
    account, claim the guest orders placed with its address; returns what the shopper
    should read (quantities capped at stock, orders added)."""
    store_id = current_store().id
    guest_token = start_session(user)
    refill = merge_guest_cart(store_id=store_id, guest_token=guest_token, user_id=user.id)
    if refill.cart_token:
        session[CART_SESSION_KEY] = refill.cart_token
    claimed = claim_guest_orders(user_id=user.id, store_id=store_id)
    if not claimed:
        return refill.notes
    added = ("1 order you placed as a guest is" if claimed == 1
             else f"{claimed} orders you placed as a guest are")
    return [*refill.notes, f"{added} now in your account."]


def end_session() -> None:
    """Sign this browser out: its login session ends on the server, then the cookie is
    cleared (other browsers of the same user stay signed in)."""
    close_login_session(token=session.get(LOGIN_TOKEN_KEY))
    logout_user()
    session.clear()


def signed_in_user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None
