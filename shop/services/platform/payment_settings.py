"""A store's payment methods as its owner sets them in /admin/settings: which are enabled
and in what order, the pre-selected one, cash on delivery's limit and fee, and bank
transfer's hold and account details.

Secrets stay in the environment: the page only says which methods have their credentials.
As with the other settings, only what differs from the config's defaults is stored (NULL:
the default), so a default changed in the environment reaches every store that kept it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from ...config_providers import PAYMENT_METHODS
from ...domain.money import format_money
from ...domain.payment_methods.payment_settings import PaymentChoice, check_payment_choice
from ...models import Store, StoreSettings
from ..payments.methods import LABELS, MethodSettings, configured, method_settings
from .audit import record_change
from .tx import write_transaction

# What the environment must hold for a method to be usable (the page's hint).
NEEDS = {
    "stripe": "STRIPE_SECRET_KEY",
    "stripe_checkout": "STRIPE_SECRET_KEY",
    "paystack": "PAYSTACK_SECRET_KEY",
    "flutterwave": "FLUTTERWAVE_SECRET_KEY and FLUTTERWAVE_SECRET_HASH",
    "bank_transfer": "the account details below",
    "cod": "nothing",
}
# store_settings column → the config default it overrides.
DEFAULTS = {"payment_methods": "PAYMENT_METHODS",
            "default_payment_method": "DEFAULT_PAYMENT_GATEWAY",
            "cod_max_amount": "COD_MAX_AMOUNT", "cod_fee": "COD_FEE",
            "bank_transfer_hold_days": "BANK_TRANSFER_HOLD_DAYS",
            "bank_account": "BANK_TRANSFER_ACCOUNT"}


@dataclass(frozen=True)
class MethodStatus:
    """One row of the settings page's methods table."""

    name: str
    label: str
    enabled: bool
    position: int  # 1-based, in the checkout's order (disabled ones after the enabled)
    configured: bool
    needs: str  # what the environment (or the form) must provide

    @property
    def unusable(self) -> bool:
        """Enabled but without its credentials: shoppers do not see it."""
        return self.enabled and not self.configured


def payment_choice(store_id: int) -> PaymentChoice:
    """The store's current choice (its own values over the defaults)."""
    settings = method_settings(store_id)
    return PaymentChoice(
        enabled=settings.enabled, default=settings.default or "",
        cod_max_amount=settings.cod_max_amount, cod_fee=settings.cod_fee,
        bank_transfer_hold_days=settings.bank_transfer_hold_days,
        bank_account=settings.bank_account)


def method_statuses(store_id: int) -> list[MethodStatus]:
    """Every method the shop knows, enabled ones first in the store's order."""
    settings = method_settings(store_id)
    ready = configured(settings)
    names = [*settings.enabled, *(m for m in PAYMENT_METHODS if m not in settings.enabled)]
    return [MethodStatus(name, LABELS[name], name in settings.enabled, position,
                         name in ready, NEEDS[name])
            for position, name in enumerate(names, start=1) if name in LABELS]


def update_payment_settings(*, store_id: int, choice: PaymentChoice, actor: str) -> list[str]:
    """Check and save the owner's choice; returns the changes in words (empty: nothing
    changed). Raises ``PaymentSettingsRefused`` before anything is written."""
    check_payment_choice(choice, PAYMENT_METHODS)
    config = current_app.config
    with write_transaction() as session:
        store = session.get_one(Store, store_id)
        changes = _describe(method_settings(store_id), choice, store.currency)
        if not changes:
            return []
        row = session.get(StoreSettings, store_id) or StoreSettings(store_id=store_id)
        session.add(row)
        values = {"payment_methods": list(choice.enabled),
                  "default_payment_method": choice.default,
                  "cod_max_amount": choice.cod_max_amount, "cod_fee": choice.cod_fee,
                  "bank_transfer_hold_days": choice.bank_transfer_hold_days,
                  "bank_account": choice.bank_account}
        for column, value in values.items():
            default = config[DEFAULTS[column]]
            same = list(default) == value if column == "payment_methods" else default == value
            setattr(row, column, None if same else value)
        record_change(session, store_id=store_id, entity_type="store", entity_id=store_id,
                      action="payment_settings_changed", from_state=None, to_state=None,
                      actor=actor, reason="; ".join(changes)[:2000])
    return changes


def _describe(before: MethodSettings, after: PaymentChoice, currency: str) -> list[str]:
    def money(amount: int | None) -> str:
        return "no limit" if amount is None else format_money(amount, currency)

    changes = []
    if tuple(before.enabled) != after.enabled:
        changes.append(f"payment methods: {', '.join(before.enabled) or 'none'} → "
                       f"{', '.join(after.enabled)}")
    if before.default != after.default:
        changes.append(f"pre-selected method: {before.default or 'none'} → {after.default}")
    if before.cod_max_amount != after.cod_max_amount:
        changes.append(f"cash on delivery limit: {money(before.cod_max_amount)} → "
                       f"{money(after.cod_max_amount)}")
    if before.cod_fee != after.cod_fee:
        changes.append(f"cash on delivery fee: {money(before.cod_fee)} → "
                       f"{money(after.cod_fee)}")
    if before.bank_transfer_hold_days != after.bank_transfer_hold_days:
        changes.append(f"bank transfer hold days: {before.bank_transfer_hold_days} → "
                       f"{after.bank_transfer_hold_days}")
    if before.bank_account != after.bank_account:
        # The details are printed for every shopper, but one line says enough here.
        changes.append("bank account details: " + ("removed" if not after.bank_account
                                                   else "set" if not before.bank_account
                                                   else "changed"))
    return changes
