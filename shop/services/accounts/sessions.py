"""Login sessions: one row per signed-in browser, so that signing out happens on the server.

Flask's session is a signed cookie that the browser holds: clearing it on logout does
nothing to a copy taken before. So signing in also records a random token (the cookie
carries it, this table only its SHA-256), and the user loader accepts a session only while
its row exists. Logging out deletes that one row (the other devices stay signed in);
signing out everywhere, changing the password and a password reset delete all of the
user's rows.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ...extensions import db
from ...models import LoginSession, User
from ...models.types import utcnow
from ..platform.tx import write_alone, write_transaction

# How stale ``last_seen_at`` may get before a request moves it forward: one write an hour
# per browser, not one per page.
TOUCH_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class SignedIn:
    user: User
    session_id: int
    stale: bool  # last seen more than TOUCH_EVERY ago: call ``touch_login_session``


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_login_session(*, user_id: int) -> str:
    """Record a newly signed-in browser; returns the token its session cookie must carry.

    The user's rows unseen for longer than Flask accepts a session cookie are pruned: no
    cookie can name them any more.
    """
    token = secrets.token_urlsafe(32)
    now = utcnow()
    dead_before = now - current_app.permanent_session_lifetime - TOUCH_EVERY
    with write_transaction() as session:
        session.execute(delete(LoginSession).where(LoginSession.user_id == user_id,
                                                   LoginSession.last_seen_at < dead_before))
        session.add(LoginSession(user_id=user_id, token_hash=_hash(token), created_at=now,
                                 last_seen_at=now))
    return token


def signed_in(*, user_id: str, token: str | None) -> SignedIn | None:
    """Who the session cookie signs in, or None if its login session was ended (or the
    cookie never had one: sessions from before this table existed, a remember-me cookie)."""
    if not token or not user_id.isdigit():
        return None
    row = db.session.execute(
        select(User, LoginSession.id, LoginSession.last_seen_at)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(User.id == int(user_id), LoginSession.token_hash == _hash(token))).first()
    if row is None:
        return None
    user, session_id, last_seen = row
    return SignedIn(user, session_id, last_seen < utcnow() - TOUCH_EVERY)


def touch_login_session(*, session_id: int) -> None:
    write_alone(update(LoginSession).where(LoginSession.id == session_id)
                .values(last_seen_at=utcnow()))


def close_login_session(*, token: str | None) -> None:
    """End one browser's login session (logging out): a copy of its cookie is refused."""
    if token:
        write_alone(delete(LoginSession).where(LoginSession.token_hash == _hash(token)))


def end_all_sessions(session: Session, *, user_id: int) -> None:
    """Inside a use case's transaction: every browser signed in as ``user_id`` is signed out
    (with the password change or reset it belongs to, or not at all)."""
    session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))


def sign_out_everywhere(*, user_id: int) -> None:
    with write_transaction() as session:
        end_all_sessions(session, user_id=user_id)


def active_sessions(user_id: int) -> int:
    return db.session.execute(select(db.func.count(LoginSession.id))
                              .where(LoginSession.user_id == user_id)).scalar_one()
