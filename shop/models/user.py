from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .store import Store


class Role(StrEnum):
    """What a member may do in a store: owners everything, staff the daily work."""

    OWNER = "owner"
    STAFF = "staff"


class User(UserMixin, Model):
    """A person who signs in: a shopper, and staff too when they hold store memberships."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(120), default="")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Runs the platform rather than a store: sees Stripe events that match no store (granted
    # only by ``flask shop grant-platform-admin``).
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False,
                                                    server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set once the address is proven (its verification link followed, or a staff invitation
    # accepted): only then does the account claim the guest orders placed with it.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list[StoreMembership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="StoreMembership.id"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return not self.disabled

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_staff(self) -> bool:
        return bool(self.memberships)

    @property
    def store_ids(self) -> set[int]:
        return {m.store_id for m in self.memberships}


class StoreMembership(Model):
    """Staff access: a user's role in one store. Every staff query is scoped through these."""

    __tablename__ = "store_memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          index=True)
    role: Mapped[str] = mapped_column(String(20), default=Role.STAFF)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")

    __table_args__ = (
        db.UniqueConstraint("user_id", "store_id", name="uq_store_memberships_user_store"),
    )


class LoginSession(Model):
    """One signed-in browser. Its session cookie carries a random token and only the token's
    hash is kept here: signing out deletes the row, so a copy of the cookie taken before
    stops working too. Signing out everywhere, a password change and a reset delete all of
    a user's rows."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Moved forward at most hourly (services/accounts/sessions.py): enough to prune rows whose
    # cookie Flask no longer accepts anyway.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffInvite(Model):
    """An owner's invitation to join a store, waiting for the person to follow the e-mailed
    link. It grants nothing: access comes only from the membership made when it is accepted.
    The link's token is kept as a hash; it works once, until ``expires_at``, unless revoked."""

    __tablename__ = "staff_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))  # lower-cased, like users.email
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    store: Mapped[Store] = relationship()

    __table_args__ = (Index("ix_staff_invites_store_email", "store_id", "email"),)

    @property
    def is_open(self) -> bool:
        """Neither accepted nor revoked (it may still have expired)."""
        return self.accepted_at is None and self.revoked_at is None
