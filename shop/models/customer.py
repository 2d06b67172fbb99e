from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class StripeCustomer(Model):
    """The Stripe Customer holding an account's saved cards in one store.

    One per (account, store), by a unique key: two tabs creating it at once end with one row
    (and, through the idempotency key, one Customer at Stripe). No card data lives here:
    brand, last 4 and expiry are read from Stripe when a page shows them.
    """

    __tablename__ = "stripe_customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "store_id",
                                       name="uq_stripe_customers_user_store"),)
