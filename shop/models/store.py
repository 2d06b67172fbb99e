from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model


class Store(Model):
    """A shop; every product, cart, order and payment belongs to one."""

    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    # ISO 3166-1: where the shop is; checkout's country field starts on it.
    country: Mapped[str] = mapped_column(String(2), default="US", server_default="US")
