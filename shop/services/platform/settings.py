"""A store's effective settings: what its owner changed, over the defaults from config.

Only values that differ from the defaults are stored, so a default changed in the
environment still reaches every store whose owner never touched that setting. Tax rates
share one JSON column: a country's under its code ("DE"), a region's under its ISO 3166-2
code ("US-TX").
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

from flask import current_app

from ...domain.money import format_money, format_percent
from ...domain.pricing import DEFAULT_RATES, RateTable
from ...extensions import db
from ...models import Store, StoreSettings
from ..catalog.cache import forget_store
from .audit import record_change
from .tx import tx_local_if_open, write_transaction

SCALARS = ("hold_ttl_minutes", "unpaid_order_ttl_minutes", "refund_window_days",
           "staff_refund_limit", "max_units_per_product", "archive_after_days")
FREE_OVER = "free_over"  # shipping_rates key: subtotal from which standard shipping is free


@dataclass(frozen=True)
class ShopSettings:
    hold_ttl_minutes: int
    unpaid_order_ttl_minutes: int
    refund_window_days: int
    staff_refund_limit: int | None  # minor units; None: staff may refund any amount
    max_units_per_product: int  # in one order: one checkout cannot hold a product's stock
    rates: RateTable
    archive_after_days: int  # closed orders untouched this long leave the default list

    @property
    def hold_ttl(self) -> timedelta:
        return timedelta(minutes=self.hold_ttl_minutes)

    @property
    def hold_retry(self) -> timedelta:
        """What a hold keeps after a decline or a new checkout of its cart (config only)."""
        return min(self.hold_ttl, hold_retry())

    @property
    def unpaid_order_ttl(self) -> timedelta:
        return timedelta(minutes=self.unpaid_order_ttl_minutes)


def default_settings() -> ShopSettings:
    config = current_app.config
    return ShopSettings(
        hold_ttl_minutes=config["HOLD_TTL_MINUTES"],
        unpaid_order_ttl_minutes=config["UNPAID_ORDER_TTL_HOURS"] * 60,
        refund_window_days=config["REFUND_WINDOW_DAYS"],
        staff_refund_limit=config["STAFF_REFUND_LIMIT"],
        max_units_per_product=config["MAX_UNITS_PER_PRODUCT"],
        rates=DEFAULT_RATES,
        archive_after_days=config["ARCHIVE_AFTER_DAYS"],
    )


def hold_retry() -> timedelta:
    """HOLD_RETRY_MINUTES: time to try again after a declined payment, never a fresh hold."""
    return timedelta(minutes=current_app.config["HOLD_RETRY_MINUTES"])


def effective_settings(store_id: int) -> ShopSettings:
    """The settings checkout, jobs and refunds use for this store."""
    base = _in_store_currency(default_settings(), store_id)
    row = settings_row(store_id)
    if row is None:
        return base
    scalars = {name: getattr(row, name) for name in SCALARS if getattr(row, name) is not None}
    return replace(base, rates=_merge_rates(base.rates, row.tax_rates or {},
                                            row.shipping_rates or {}), **scalars)


def settings_row(store_id: int) -> StoreSettings | None:
    """The store's own row (None: all defaults). Inside a write transaction it is read once:
    the checkout asks for it twice (rates, payment methods), and ``Session.get`` of a row
    that does not exist goes to the database every time."""
    session = db.session()
    local = tx_local_if_open(session)
    if local is None:
        return session.get(StoreSettings, store_id)
    key = ("store_settings", store_id)
    if key not in local:
        local[key] = session.get(StoreSettings, store_id)
    return local[key]


def _in_store_currency(base: ShopSettings, store_id: int) -> ShopSettings:
    """The rate table in the store's currency (``stores.currency``): orders are priced in
    it, and the table's amounts are read as that currency's minor units. The store row
    comes from the session's identity map when loaded, and once per write transaction."""
    session = db.session()
    local = tx_local_if_open(session)
    key = ("store_currency", store_id)
    if local is not None and key in local:
        currency = local[key]
    else:
        store = session.get(Store, store_id)
        currency = store.currency if store is not None else None
        if local is not None:
            local[key] = currency
    if not currency or currency == base.rates.currency:
        return base
    return replace(base, rates=replace(base.rates, currency=currency))


def _merge_rates(base: RateTable, tax: dict, shipping: dict) -> RateTable:
    zones = []
    for zone in base.zones:
        prices = dict(zone.shipping)
        override = shipping.get(zone.code, {})
        prices.update({m: int(p) for m, p in override.items() if m in zone.shipping})
        free_over = override[FREE_OVER] if FREE_OVER in override else zone.free_standard_over
        zones.append(replace(zone, shipping=prices, free_standard_over=free_over))
    countries = {code: bp for code, bp in tax.items() if not _is_region(code)}
    regions = {code: bp for code, bp in tax.items() if _is_region(code)}
    return replace(base, zones=tuple(zones), tax_bp={**base.tax_bp, **countries},
                   region_tax_bp={**base.region_tax_bp, **regions})


def _is_region(code: str) -> bool:
    return "-" in code


@dataclass(frozen=True)
class SettingsUpdate:
    hold_ttl_minutes: int
    unpaid_order_ttl_minutes: int
    refund_window_days: int
    staff_refund_limit: int | None
    max_units_per_product: int
    tax_bp: dict[str, int]  # country → basis points
    shipping: dict[str, dict[str, int | None]]  # zone → method (or "free_over") → minor units
    archive_after_days: int
    region_tax_bp: dict[str, int] = field(default_factory=dict)  # "US-TX" → basis points
    country: str | None = None  # the store's own (checkout's default); None: unchanged


def update_settings(*, store_id: int, update: SettingsUpdate, actor: str) -> list[str]:
    """Save what the owner entered; returns the changes in words (empty: nothing changed)."""
    base = default_settings()
    with write_transaction() as session:
        before = effective_settings(store_id)
        store = session.get_one(Store, store_id)
        country = update.country or store.country
        moved = country != store.country
        changes = _describe_changes(before, update)
        if moved:
            changes.insert(0, f"store country: {store.country} → {country}")
            store.country = country
        if not changes:
            return []
        row = session.get(StoreSettings, store_id) or StoreSettings(store_id=store_id)
        session.add(row)
        for name in SCALARS:
            value = getattr(update, name)
            setattr(row, name, None if value == getattr(base, name) else value)
        row.tax_rates = {**{c: bp for c, bp in update.tax_bp.items()
                            if base.rates.tax_bp.get(c, 0) != bp},
                         **{r: bp for r, bp in update.region_tax_bp.items()
                            if base.rates.region_tax_bp.get(r, 0) != bp}} or None
        row.shipping_rates = _shipping_overrides(base.rates, update.shipping) or None
        record_change(session, store_id=store_id, entity_type="store", entity_id=store_id,
                      action="settings_changed", from_state=None, to_state=None, actor=actor,
                      reason="; ".join(changes)[:2000])
    if moved:
        forget_store(store.slug)
    return changes


def _shipping_overrides(base: RateTable, shipping: dict) -> dict:
    overrides: dict[str, dict] = {}
    for zone in base.zones:
        entered = shipping.get(zone.code, {})
        diff = {m: p for m, p in entered.items()
                if m in zone.shipping and p is not None and p != zone.shipping[m]}
        if FREE_OVER in entered and entered[FREE_OVER] != zone.free_standard_over:
            diff[FREE_OVER] = entered[FREE_OVER]
        if diff:
            overrides[zone.code] = diff
    return overrides


def _describe_changes(before: ShopSettings, update: SettingsUpdate) -> list[str]:
    currency = before.rates.currency
    changes = [f"{name.replace('_', ' ')}: {getattr(before, name)} → {getattr(update, name)}"
               for name in SCALARS if getattr(before, name) != getattr(update, name)]
    for table, rates in ((before.rates.tax_bp, update.tax_bp),
                         (before.rates.region_tax_bp, update.region_tax_bp)):
        for code, bp in sorted(rates.items()):
            old = table.get(code, 0)
            if old != bp:
                changes.append(f"tax {code}: {format_percent(old)}% → {format_percent(bp)}%")
    for zone in before.rates.zones:
        entered = update.shipping.get(zone.code, {})
        current = {**zone.shipping, FREE_OVER: zone.free_standard_over}
        for method, price in sorted(entered.items()):
            if method in current and current[method] != price:
                changes.append(f"shipping {zone.code} {method}: "
                               f"{_money(current[method], currency)} → {_money(price, currency)}")
    return changes


def _money(amount: int | None, currency: str) -> str:
    return "none" if amount is None else format_money(amount, currency)
