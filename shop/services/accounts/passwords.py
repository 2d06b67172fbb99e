"""Password reset by e-mailed link: a signed, time-limited token, no table.

The token carries the user id and a fingerprint of the current password hash, so it stops
working as soon as the password changes: using it once spends it, and an older link dies
when a newer one is used.
"""

from __future__ import annotations

import logging

from flask import current_app, render_template
from sqlalchemy import select

from ...domain.errors import DomainError
from ...extensions import db
from ...links import external_url
from ...mail import send_mail
from ...models import User
from ..platform.tx import lock_rows, write_transaction
from . import signed
from .sessions import end_all_sessions
from .users import hash_password, user_by_email

log = logging.getLogger(__name__)

SALT = "password-reset"


class InvalidResetToken(DomainError):
    code = "invalid_reset_token"


def reset_token_for(user: User) -> str:
    return signed.dump(SALT, uid=user.id, pw=user.password_hash)


def _token_data(token: str) -> dict:
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE_SECONDS"]
    return signed.load(SALT, token, max_age=max_age, error=InvalidResetToken,
                       what="reset link")


def _check_live(user: User | None, data: dict) -> User:
    if user is None or user.disabled or not signed.same_fingerprint(data, "pw",
                                                                   user.password_hash):
        raise InvalidResetToken("This reset link was already used or replaced. "
                                "Ask for a new one below.")
    return user


def user_for_reset_token(token: str) -> User:
    """The user a live token belongs to; ``InvalidResetToken`` for expired, used or forged."""
    data = _token_data(token)
    return _check_live(db.session.get(User, data["uid"]), data)


def request_password_reset(*, email: str) -> bool:
    """Mail a reset link if ``email`` has an account. The caller runs this after sending its
    answer, which is the same either way: neither the page nor its timing tells whether the
    address has an account."""
    user = user_by_email(email)
    if user is None or user.disabled:
        log.info("password reset asked for an unknown or disabled account")
        return False
    body = render_template("mail/password_reset.txt", user=user,
                           link=external_url("auth.reset_password",
                                             token=reset_token_for(user)),
                           minutes=current_app.config["PASSWORD_RESET_MAX_AGE_SECONDS"] // 60)
    send_mail(to=user.email, subject="Reset your Bean & Leaf password", text=body)
    return True


def reset_password(*, token: str, password: str) -> User:
    """Set a new password with a live token; raises ``InvalidResetToken`` or ``WeakPassword``.

    The fingerprint is checked again under the row lock, so two tabs racing with one link
    cannot both succeed. Every browser signed in to the account is signed out: whoever had
    the old password (or a copy of a session cookie) is out.
    """
    data = _token_data(token)
    with write_transaction() as session:
        user = _check_live(session.scalar(lock_rows(select(User).where(User.id == data["uid"]))),
                           data)
        user.password_hash = hash_password(password, email=user.email)
        end_all_sessions(session, user_id=user.id)
    return user
