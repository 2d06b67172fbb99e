"""Staff invitations: an owner invites an e-mail address, the person accepts by link.

Nobody picks a password for someone else. The invitation mails a one-time link (a random
token; only its SHA-256 is kept) that works until it expires, is used, or the owner revokes
it. Until then the invitation grants nothing: the membership that gives access is made
when it is accepted. A new person chooses their password there (checked like any other);
someone who already has an account signs in as it and accepts.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError
from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...domain.errors import DomainError, NotFound
from ...extensions import db
from ...links import external_url
from ...mail import send_mail
from ...models import Role, StaffInvite, Store, StoreMembership, User
from ...models.types import utcnow
from ..platform.audit import record_change
from ..platform.tx import get_existing, lock_rows, write_transaction
from .users import InvalidEmail, hash_password, normalize_email, valid_address
from .verification import mark_verified

log = logging.getLogger(__name__)


class AlreadyMember(DomainError):
    code = "already_member"


class InvalidInvite(DomainError):
    code = "invalid_invite"


class InviteForAnotherAccount(DomainError):
    """The address has an account and somebody else (or nobody) is signed in."""

    code = "invite_for_another_account"


class InviteNotFound(NotFound):
    code = "invite_not_found"


@dataclass(frozen=True)
class Invited:
    email: str
    role: Role
    mailed: bool  # False: the invitation stands but its e-mail failed; invite again to resend


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def pending_invites(store_id: int) -> list[StaffInvite]:
    """Invitations neither accepted nor revoked (expired ones too, for the owner to see)."""
    return list(db.session.scalars(
        select(StaffInvite).where(StaffInvite.store_id == store_id,
                                  StaffInvite.accepted_at.is_(None),
                                  StaffInvite.revoked_at.is_(None))
        .order_by(StaffInvite.created_at, StaffInvite.id)))


def invite_member(*, store_id: int, email: str, role: Role, actor: str) -> Invited:
    """Invite ``email`` to the store with ``role`` and mail them the link. Inviting an
    address again replaces its open invitation (the old link dies). Raises ``InvalidEmail``
    or ``AlreadyMember``."""
    try:
        email = normalize_email(valid_address(email))
    except EmailNotValidError as exc:
        raise InvalidEmail(f"“{email}” is not a valid e-mail address.") from exc
    token = secrets.token_urlsafe(32)
    max_age = current_app.config["STAFF_INVITE_MAX_AGE_SECONDS"]
    with write_transaction() as session:
        if session.scalar(select(StoreMembership.id).join(User).where(
                StoreMembership.store_id == store_id, User.email == email)):
            raise AlreadyMember(f"{email} is already a member of this store.")
        now = utcnow()
        for old in session.scalars(lock_rows(select(StaffInvite).where(
                StaffInvite.store_id == store_id, StaffInvite.email == email,
                StaffInvite.accepted_at.is_(None), StaffInvite.revoked_at.is_(None)))):
            old.revoked_at = now
            _audit(session, old, "staff_invite_revoked", old.role, None, actor, email)
        invite = StaffInvite(store_id=store_id, email=email, role=role,
                             token_hash=_hash(token), invited_by=actor, created_at=now,
                             expires_at=now + timedelta(seconds=max_age))
        session.add(invite)
        session.flush()
        _audit(session, invite, "staff_invited", None, role, actor, email)
        store_name = get_existing(session, Store, store_id).name
    return Invited(email, role, _mail(invite, token, store_name, max_age))


def _mail(invite: StaffInvite, token: str, store_name: str, max_age: int) -> bool:
    body = render_template("mail/staff_invite.txt", store_name=store_name, role=invite.role,
                           link=external_url("auth.accept_invite", token=token),
                           hours=max(1, max_age // 3600))
    try:
        send_mail(to=invite.email, subject=f"You are invited to {store_name} on Bean & Leaf",
                  text=body)
    except (OSError, smtplib.SMTPException):
        log.warning("staff invitation not mailed", extra={"invite_id": invite.id},
                    exc_info=True)
        return False
    return True


def revoke_invite(*, store_id: int, invite_id: int, actor: str) -> str:
    """Withdraw an open invitation of this store (its link dies); returns its e-mail.
    Raises ``InviteNotFound``."""
    with write_transaction() as session:
        invite = session.scalar(lock_rows(select(StaffInvite).where(
            StaffInvite.id == invite_id, StaffInvite.store_id == store_id)))
        if invite is None or not invite.is_open:
            raise InviteNotFound("That invitation is not open in this store.")
        invite.revoked_at = utcnow()
        _audit(session, invite, "staff_invite_revoked", invite.role, None, actor, invite.email)
        return invite.email


def live_invite(token: str) -> StaffInvite:
    """The open, unexpired invitation of ``token``; ``InvalidInvite`` says why not."""
    return _check_live(db.session.scalar(
        select(StaffInvite).where(StaffInvite.token_hash == _hash(token))))


def _check_live(invite: StaffInvite | None) -> StaffInvite:
    if invite is None:
        raise InvalidInvite("This invitation link is not valid.")
    if invite.accepted_at is not None:
        raise InvalidInvite("This invitation was already used. Sign in to open the admin.")
    if invite.revoked_at is not None:
        raise InvalidInvite("This invitation was withdrawn. Ask the store's owner for a "
                            "new one.")
    if invite.expires_at <= utcnow():
        raise InvalidInvite("This invitation has expired. Ask the store's owner for a "
                            "new one.")
    return invite


def accept_invite(*, token: str, password: str | None = None,
                  user_id: int | None = None) -> User:
    """Join the store with a live invitation, once. For an address without an account the
    account is made with ``password`` (``WeakPassword``); an address with one needs its
    owner signed in (``user_id``), else ``InviteForAnotherAccount``. ``InvalidInvite`` for
    a used, expired, revoked or unknown link; two tabs racing with one link: one wins."""
    password_hash = hash_password(password) if password is not None else None
    try:
        with write_transaction() as session:
            invite = _check_live(session.scalar(lock_rows(
                select(StaffInvite).where(StaffInvite.token_hash == _hash(token)))))
            user = session.scalar(select(User).where(User.email == invite.email))
            if user is None and password_hash is not None:
                user = User(email=invite.email, password_hash=password_hash)
                session.add(user)
                session.flush()
            elif user is None or user.id != user_id:
                raise InviteForAnotherAccount(
                    f"This invitation is for {invite.email}. Sign in as {invite.email} "
                    "to accept it.")
            invite.accepted_at = utcnow()
            # The invitation was mailed to this address: following it proves the mailbox.
            mark_verified(session, user, how="staff invitation")
            _join(session, invite, user)
            return user
    except IntegrityError as exc:  # the address got an account (or membership) just now
        raise InvalidInvite("This invitation could not be accepted just now. Open the link "
                            "again.") from exc


def _join(session: Session, invite: StaffInvite, user: User) -> None:
    if session.scalar(select(StoreMembership.id).where(
            StoreMembership.user_id == user.id, StoreMembership.store_id == invite.store_id)):
        return
    membership = StoreMembership(user_id=user.id, store_id=invite.store_id, role=invite.role)
    session.add(membership)
    session.flush()
    record_change(session, store_id=invite.store_id, entity_type="store_membership",
                  entity_id=membership.id, action="staff_added", from_state=None,
                  to_state=invite.role, actor=invite.invited_by, reason=invite.email)


def _audit(session: Session, invite: StaffInvite, action: str, before: str | None,
           after: str | None, actor: str, email: str) -> None:
    record_change(session, store_id=invite.store_id, entity_type="staff_invite",
                  entity_id=invite.id, action=action, from_state=before, to_state=after,
                  actor=actor, reason=email)
