"""Accounts: creating users, checking passwords, granting store roles.

Password hashing lives here and nowhere else (werkzeug's scrypt by default).
"""

from __future__ import annotations

import logging

from email_validator import EmailNotValidError, validate_email
from flask import current_app
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
from ..platform.tx import get_existing, write_transaction
from .sessions import end_all_sessions

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


class WrongPassword(DomainError):
    code = "wrong_password"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str, *, email: str | None = None) -> str:
    check_password_strength(password, email=email)
    return generate_password_hash(password)


# Top-level names reserved for tests and documentation (RFC 2606, RFC 6761): nobody's real
# mailbox, so a development or test shop may use them (owner@beanleaf.test); production not.
RESERVED_TEST_TLDS = ("test", "example", "invalid", "localhost")


def valid_address(email: str) -> str:
    """``email`` as email-validator normalizes it; raises ``EmailNotValidError``.

    email-validator rejects .invalid and .localhost whatever it is told, and .test unless
    ``test_environment``: outside production, such a domain is checked as ``….test`` in a
    test environment (the local part and the labels before the TLD are checked all the same).
    """
    local, at, domain = email.rpartition("@")
    name, _, tld = domain.rpartition(".")
    if (at and tld.lower() in RESERVED_TEST_TLDS
            and current_app.config["SHOP_ENV"] != "production"):
        checked = validate_email(f"{local}@{name + '.' if name else ''}test",
                                 check_deliverability=False, test_environment=True)
        return f"{checked.local_part}@{checked.domain.removesuffix('test')}{tld.lower()}"
    return validate_email(email, check_deliverability=False).normalized


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def check_registration(*, email: str, password: str) -> None:
    """What a sign-up form can be told before anything is looked up: ``InvalidEmail`` or
    ``WeakPassword`` (the same answers whether or not the address has an account)."""
    try:
        valid_address(email)
    except EmailNotValidError as exc:
        raise InvalidEmail(f"{email!r} is not a valid e-mail address.") from exc
    check_password_strength(password, email=email)


def create_user(*, email: str, password: str, name: str = "") -> User:
    """A new account; raises ``InvalidEmail``, ``EmailTaken`` or ``WeakPassword``."""
    check_registration(email=email, password=password)
    try:
        with write_transaction() as session:
            user = User(email=normalize_email(email), name=name.strip(),
                        password_hash=generate_password_hash(password))
            session.add(user)
    except IntegrityError as exc:
        raise EmailTaken("An account with this e-mail already exists.") from exc
    return user


def register_shopper(*, email: str, password: str, name: str) -> None:
    """A shopper's sign-up, run after the response (the caller answers the same either way).

    A new address gets its account and a welcome e-mail carrying the link that verifies the
    address; an address that already has an account gets an e-mail telling its owner that
    someone tried, and how to sign in or reset instead. Nobody waits for the outcome, so
    mail failures are logged, not raised.
    """
    import smtplib

    from flask import render_template

    from ...links import external_url
    from ...mail import send_mail
    from .verification import link_days, verification_link

    extra: dict[str, object] = {}
    try:
        user = create_user(email=email, password=password, name=name)
        subject, template = "Welcome to Bean & Leaf", "mail/welcome.txt"
        extra = {"verify_link": verification_link(user), "days": link_days()}
    except EmailTaken:
        taken = user_by_email(email)
        assert taken is not None, "EmailTaken: an account has this address"
        user = taken
        subject = "Someone tried to create a Bean & Leaf account with your e-mail"
        template = "mail/register_existing.txt"
    try:
        send_mail(to=user.email, subject=subject, text=render_template(
            template, user=user, link=external_url("auth.login"),
            reset_link=external_url("auth.forgot_password"), **extra))
    except (OSError, smtplib.SMTPException):
        log.warning("sign-up e-mail not sent", extra={"user_id": user.id}, exc_info=True)


def set_password(*, user_id: int, password: str) -> None:
    """A new password; every browser signed in to the account is signed out."""
    with write_transaction() as session:
        user = session.get(User, user_id)
        if user is None:
            raise UnknownUser(f"No user {user_id}.")
        user.password_hash = hash_password(password, email=user.email)
        end_all_sessions(session, user_id=user_id)


def change_password(*, user_id: int, current_password: str, new_password: str) -> None:
    """The signed-in user's own change: ``WrongPassword`` unless ``current_password`` is
    theirs (a borrowed session cannot lock the owner out), ``WeakPassword``. Every browser
    signed in to the account is signed out, the one asking included."""
    user = db.session.get(User, user_id)
    if user is None or not check_password_hash(user.password_hash, current_password):
        raise WrongPassword("That is not your current password.")
    set_password(user_id=user_id, password=new_password)


def authenticate(*, email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for every failure)."""
    user = user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or user.disabled:
        return None
    with write_transaction() as session:
        get_existing(session, User, user.id).last_login_at = utcnow()
    return get_existing(db.session, User, user.id)


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
