"""E-mail verification, and the guest orders a verified address claims.

An account proves its address by following a signed link mailed to it (``signed``, with its
own purpose; ``EMAIL_VERIFY_MAX_AGE_SECONDS``, 3 days by default). The token carries a
fingerprint of the address it was mailed to, so it verifies nothing once the account's
address is another. Signing in never waits for verification.

The one rule for claiming: a verified account owns every order of the store placed as a
guest with its address. It claims them when the link is followed (the orders placed before
sign-up) and again at each sign-in (guest orders placed since, signed out). An unverified
account claims nothing: whoever registers somebody else's address never sees that person's
orders, because the link goes to that person.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app, render_template
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ...domain.errors import DomainError
from ...extensions import db
from ...links import external_url
from ...mail import send_mail
from ...models import Order, User
from ...models.types import utcnow
from ..payments.history import follow_orders
from ..platform.audit import record_change
from ..platform.tx import lock_rows, rows_matched, write_transaction
from . import signed
from .users import user_by_email

log = logging.getLogger(__name__)

SALT = "email-verify"


class InvalidVerifyToken(DomainError):
    code = "invalid_verify_token"


@dataclass(frozen=True)
class Verified:
    email: str
    claimed: int


def verify_token_for(user: User) -> str:
    return signed.dump(SALT, uid=user.id, em=user.email)


def verification_link(user: User) -> str:
    return external_url("auth.verify_email", token=verify_token_for(user))


def link_days() -> int:
    return max(1, current_app.config["EMAIL_VERIFY_MAX_AGE_SECONDS"] // 86400)


def verify_email(*, token: str, store_id: int) -> Verified:
    """Follow a verification link: the account is verified (once) and claims the store's
    guest orders with its address. ``InvalidVerifyToken`` for an expired, forged or
    other-purpose token, and for one mailed to an address the account no longer has.
    Following it again claims what was placed since, and changes nothing else."""
    max_age = current_app.config["EMAIL_VERIFY_MAX_AGE_SECONDS"]
    data = signed.load(SALT, token, max_age=max_age, error=InvalidVerifyToken,
                       what="verification link")
    with write_transaction() as session:
        user = session.scalar(lock_rows(select(User).where(User.id == data["uid"])))
        if user is None or user.disabled or not signed.same_fingerprint(data, "em",
                                                                       user.email):
            raise InvalidVerifyToken("This verification link is not valid for this account. "
                                     "Ask for a new one below.")
        mark_verified(session, user, how="verification link")
        verified = Verified(user.email, _claim(session, user=user, store_id=store_id))
    log.info("verification link followed",
             extra={"user_id": data["uid"], "claimed": verified.claimed})
    return verified


def mark_verified(session: Session, user: User, *, how: str) -> None:
    """Record (once) that ``user.email`` is proven to be the account owner's; ``how`` names
    the proof (the verification link, a staff invitation, the operator)."""
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        record_change(session, store_id=None, entity_type="user", entity_id=user.id,
                      action="email_verified", from_state="unverified", to_state="verified",
                      actor=_actor(user), reason=how)


def vouch_for_address(*, user_id: int, actor: str) -> None:
    """The operator made this account (``shop create-admin``) and vouches for its address,
    as the migration that introduced verification did for every store member."""
    with write_transaction() as session:
        user = session.scalar(lock_rows(select(User).where(User.id == user_id)))
        if user is None:
            raise LookupError(f"User {user_id} vanished")
        mark_verified(session, user, how=actor)


def claim_guest_orders(*, user_id: int, store_id: int) -> int:
    """At sign-in: a verified account claims the guest orders placed with its address since
    it last did; returns how many. An unverified account claims none. Costs one read when
    there is nothing to claim (the usual case), no write."""
    user = db.session.get(User, user_id)
    if user is None or user.email_verified_at is None or db.session.scalar(
            select(Order.id).where(*_claimable(user.email, store_id)).limit(1)) is None:
        return 0
    with write_transaction() as session:
        user = session.scalar(lock_rows(select(User).where(User.id == user_id)))
        if user is None or user.email_verified_at is None:
            return 0
        return _claim(session, user=user, store_id=store_id)


def request_verification(*, email: str) -> bool:
    """Mail a new verification link if ``email`` has an account still waiting for one. The
    caller runs this after sending its answer, which is the same whatever the address."""
    user = user_by_email(email)
    if user is None or user.disabled or user.email_verified_at is not None:
        log.info("verification link asked for an unknown, disabled or verified account")
        return False
    send_mail(to=user.email, subject="Verify your Bean & Leaf e-mail address",
              text=render_template("mail/verify_email.txt", user=user,
                                   link=verification_link(user), days=link_days()))
    return True


def _claimable(email: str, store_id: int) -> tuple:
    # Checkout stores the address as normalize_email leaves users.email (stripped,
    # lower-cased), so equality finds them through ix_orders_email.
    return (Order.store_id == store_id, Order.user_id.is_(None), Order.email == email)


def _claim(session: Session, *, user: User, store_id: int) -> int:
    """Give ``user`` the store's guest orders with its address, under the user's row lock;
    one audit row names them."""
    ids = list(session.scalars(select(Order.id).where(*_claimable(user.email, store_id))
                               .order_by(Order.id)))
    if not ids:
        return 0
    # Nothing else gives a placed order an account, and the user's row lock keeps a second
    # claim of the same address waiting: every id read above is still unclaimed.
    count = rows_matched(session, update(Order)
                         .where(Order.id.in_(ids), Order.user_id.is_(None))
                         .values(user_id=user.id)
                         .execution_options(synchronize_session=False))
    follow_orders(session, order_ids=ids, user_id=user.id)
    record_change(session, store_id=store_id, entity_type="user", entity_id=user.id,
                  action="orders_claimed", from_state=None, to_state=None, actor=_actor(user),
                  reason=f"orders claimed: {count} "
                         f"({', '.join(f'{order_id:06d}' for order_id in ids)})")
    log.info("guest orders claimed", extra={"user_id": user.id, "store_id": store_id,
                                            "count": count})
    return count


def _actor(user: User) -> str:
    return f"shopper:{user.email}"
