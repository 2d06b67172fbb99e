from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class Role(StrEnum):
    """What a member may do in a store: owners everything, staff the daily work."""

    OWNER = "owner"
    STAFF = "staff"


class User(UserMixin, db.Model):
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

    memberships: Mapped[list[StoreMembership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="StoreMembership.id"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return not self.disabled

    @property
    def is_staff(self) -> bool:
        return bool(self.memberships)

    def role_in(self, store_id: int) -> Role | None:
        for membership in self.memberships:
            if membership.store_id == store_id:
                return Role(membership.role)
        return None

    @property
    def store_ids(self) -> set[int]:
        return {m.store_id for m in self.memberships}


class StoreMembership(db.Model):
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
