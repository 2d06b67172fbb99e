from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.regions import address_lines
from ..extensions import Model
from .types import UTCDateTime, utcnow


class Address(Model):
    """A shipping address a signed-in shopper saved, offered again at checkout."""

    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(120))
    postal_code: Mapped[str] = mapped_column(String(20))
    # ISO 3166-2 ("US-TX") where the country has regions (domain/regions.py), else "".
    region: Mapped[str] = mapped_column(String(6), default="", server_default="")
    country: Mapped[str] = mapped_column(String(2))
    # At most one per user: a partial unique index says so in the database.
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_addresses_user", "user_id"),
        Index("uq_addresses_user_default", "user_id", unique=True,
              sqlite_where=text("is_default"), postgresql_where=text("is_default")),
    )

    def one_line(self) -> str:
        return ", ".join(address_lines(
            name=self.name, line1=self.line1, line2=self.line2, city=self.city,
            region=self.region, postal_code=self.postal_code, country=self.country))
