"""Accounts: creating users, checking passwords, granting store roles.

Password hashing lives here and nowhere else (werkzeug's scrypt by default).
"""

from __future__ import annotations

import logging

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ...domain.errors import DomainError, NotFound
from ...domain.password_policy import (  # noqa: F401 (re-exported: the services' vocabulary)
    MIN_PASSWORD_LENGTH,
    WeakPassword,
    check_password_strength,
)
from ...extensions import db
from ...models import Role, Store, StoreMembership, User
from ...models.types import utcnow
from ..platform.audit import record_change
from ..platform.tx import write_transaction

log = logging.getLogger(__name__)

# Compared against when the e-mail is unknown, so that a wrong e-mail and a wrong password
# take the same time and an attacker cannot probe which accounts exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class EmailTaken(DomainError):
    code = "email_taken"


class InvalidEmail(DomainError):
    code = "invalid_email"


class UnknownUser(NotFound):
    code = "user_not_found"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str, *, email: str | None = None) -> str:
    check_password_strength(password, email=email)
    return generate_password_hash(password)


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(*, email: str, password: str, name: str = "") -> User:
    """A new account; raises ``InvalidEmail``, ``EmailTaken`` or ``WeakPassword``."""
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(f"{email!r} is not a valid e-mail address.") from exc
    check_password_strength(password, email=email)
    try:
        with write_transaction() as session:
            user = User(email=normalize_email(email), name=name.strip(),
                        password_hash=generate_password_hash(password))
            session.add(user)
    except IntegrityError as exc:
        raise EmailTaken("An account with this e-mail already exists.") from exc
    return user


def register_shopper(*, email: str, password: str, name: str, login_link: str) -> User:
    """A shopper's own sign-up: the account, then a welcome e-mail (sent after commit).

    The account exists once committed; a mail server that is down must not turn a
    successful sign-up into an error page, so a failed welcome is logged, not raised.
    """
    import smtplib

    from flask import render_template

    from ...mail import send_mail

    user = create_user(email=email, password=password, name=name)
    try:
        send_mail(to=user.email, subject="Welcome to Bean & Leaf",
                  text=render_template("mail/welcome.txt", user=user, link=login_link))
    except (OSError, smtplib.SMTPException):
        log.warning("welcome e-mail not sent", extra={"user_id": user.id}, exc_info=True)
    return user


def set_password(*, user_id: int, password: str) -> None:
    with write_transaction() as session:
        user = session.get(User, user_id)
        user.password_hash = hash_password(password, email=user.email)


def authenticate(*, email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for every failure)."""
    user = user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or user.disabled:
        return None
    with write_transaction() as session:
        session.get(User, user.id).last_login_at = utcnow()
    return db.session.get(User, user.id)


def grant_role(*, user_id: int, store_id: int, role: Role) -> StoreMembership:
    """Make a user a member of a store with ``role`` (changing the role if already one)."""
    with write_transaction() as session:
        membership = session.scalar(select(StoreMembership).where(
            StoreMembership.user_id == user_id, StoreMembership.store_id == store_id))
        if membership is None:
            membership = StoreMembership(user_id=user_id, store_id=store_id)
            session.add(membership)
        membership.role = role
    return membership


def ensure_store(slug: str, name: str) -> Store:
    store = db.session.scalar(select(Store).where(Store.slug == slug))
    if store is not None:
        return store
    with write_transaction() as session:
        store = Store(slug=slug, name=name, currency="USD")
        session.add(store)
    return store


def set_platform_admin(*, email: str, granted: bool, actor: str) -> User:
    """Grant (or take back) the platform-admin flag: who sees Stripe events that match no
    store. Audited on the user, outside any store. Raises ``UnknownUser``."""
    with write_transaction() as session:
        user = session.scalar(select(User).where(User.email == normalize_email(email)))
        if user is None:
            raise UnknownUser(f"No user with the e-mail {email.strip()!r}.")
        if user.is_platform_admin != granted:
            before, user.is_platform_admin = user.is_platform_admin, granted
            record_change(session, store_id=None, entity_type="user", entity_id=user.id,
                          action="platform_admin_changed", from_state=str(before).lower(),
                          to_state=str(granted).lower(), actor=actor)
    log.info("platform admin changed", extra={"user_id": user.id, "granted": granted})
    return user
