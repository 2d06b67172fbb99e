"""Signing in and out without session fixation, keeping the shopper's cart."""

from __future__ import annotations

from flask import session
from flask_login import current_user, login_user, logout_user

from ..models import User
from ..services.cart.refill import merge_guest_cart
from ..web import CART_SESSION_KEY, current_store


def start_session(user: User) -> str | None:
    """Log ``user`` in on a fresh session; returns the guest cart token it carried over."""
    cart_token = session.get(CART_SESSION_KEY)
    # A new session on login: whatever a third party planted in the old one is gone.
    session.clear()
    login_user(user)
    if cart_token:
        session[CART_SESSION_KEY] = cart_token
    return cart_token


def sign_in(user: User) -> list[str]:
    """Start the session and merge the guest cart into the account's; returns what the merge
    had to change (quantities capped at stock), for the shopper to read."""
    guest_token = start_session(user)
    refill = merge_guest_cart(store_id=current_store().id, guest_token=guest_token,
                              user_id=user.id)
    if refill.cart_token:
        session[CART_SESSION_KEY] = refill.cart_token
    return refill.notes


def end_session() -> None:
    logout_user()
    session.clear()


def signed_in_user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None
