from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class StoreSettings(Model):
    """What an owner changed from the defaults; a NULL column means "use the default".

    ``services.settings.effective_settings`` merges these over the config's defaults.
    """

    __tablename__ = "store_settings"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          primary_key=True)
    hold_ttl_minutes: Mapped[int | None] = mapped_column(Integer)
    unpaid_order_ttl_minutes: Mapped[int | None] = mapped_column(Integer)
    refund_window_days: Mapped[int | None] = mapped_column(Integer)
    staff_refund_limit: Mapped[int | None] = mapped_column(Integer)  # minor units
    max_units_per_product: Mapped[int | None] = mapped_column(Integer)  # in one order
    archive_after_days: Mapped[int | None] = mapped_column(Integer)
    # {"US": 725, ...}: basis points per destination country.
    tax_rates: Mapped[dict | None] = mapped_column(JSON)
    # {"domestic": {"standard": 500, "express": 1500, "free_over": 7500}, ...}: minor units.
    shipping_rates: Mapped[dict | None] = mapped_column(JSON)
    # Printed on receipts and credit notes; empty: the store's name, no address.
    legal_name: Mapped[str | None] = mapped_column(String(200))
    legal_address: Mapped[str | None] = mapped_column(Text)
    tax_id: Mapped[str | None] = mapped_column(String(60))
    # The payment methods the store offers, in the checkout's order; NULL: PAYMENT_METHODS.
    payment_methods: Mapped[list | None] = mapped_column(JSON)
    default_payment_method: Mapped[str | None] = mapped_column(String(20))
    cod_max_amount: Mapped[int | None] = mapped_column(Integer)  # minor units
    cod_fee: Mapped[int | None] = mapped_column(Integer)  # minor units
    bank_transfer_hold_days: Mapped[int | None] = mapped_column(Integer)
    # Printed on bank-transfer instructions: account name, bank, IBAN or account number.
    bank_account: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
