"""What a store's payment-method settings must keep, whoever saves them (the admin form,
a script): every rule here, the form only checks the input's shape."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ..errors import DomainError

MAX_HOLD_DAYS = 30  # a bank transfer takes days, not months: stock is held meanwhile
MAX_STORED_AMOUNT = 2**31 - 1  # the amount columns are 32-bit integers (minor units)
MAX_BANK_ACCOUNT = 1000


@dataclass(frozen=True)
class PaymentChoice:
    """A store's payment methods as its owner set them."""

    enabled: tuple[str, ...]  # in the checkout's order
    default: str  # pre-selected at checkout
    cod_max_amount: int | None  # minor units; None: no cap
    cod_fee: int  # minor units
    bank_transfer_hold_days: int
    bank_account: str  # printed on the transfer instructions


class PaymentSettingsRefused(DomainError):
    """The settings would leave shoppers unable to pay, or name what the shop cannot do.
    ``field`` names the setting the message is about."""

    code = "payment_settings_refused"

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def check_payment_choice(choice: PaymentChoice, known: Collection[str]) -> None:
    """Raise ``PaymentSettingsRefused`` for the first rule ``choice`` breaks."""
    unknown = [name for name in choice.enabled if name not in known]
    if unknown:
        raise PaymentSettingsRefused(
            f"Unknown payment method: {', '.join(unknown)}.", "payment_methods")
    if len(set(choice.enabled)) != len(choice.enabled):
        raise PaymentSettingsRefused("Each payment method can be listed once.",
                                     "payment_methods")
    if not choice.enabled:
        raise PaymentSettingsRefused(
            "Enable at least one payment method, or shoppers cannot pay.", "payment_methods")
    if choice.default not in choice.enabled:
        raise PaymentSettingsRefused(
            "The pre-selected method must be one of the methods you enable.",
            "default_payment_method")
    if "bank_transfer" in choice.enabled and not choice.bank_account.strip():
        raise PaymentSettingsRefused(
            "Enter the account details shoppers transfer to, or disable bank transfer.",
            "bank_account")
    if len(choice.bank_account) > MAX_BANK_ACCOUNT:
        raise PaymentSettingsRefused(
            f"Keep the account details under {MAX_BANK_ACCOUNT} characters.", "bank_account")
    if choice.cod_max_amount is not None and not 0 < choice.cod_max_amount <= MAX_STORED_AMOUNT:
        raise PaymentSettingsRefused("Enter a limit above 0, or leave it empty for none.",
                                     "cod_max_amount")
    if not 0 <= choice.cod_fee <= MAX_STORED_AMOUNT:
        raise PaymentSettingsRefused("That fee is out of range.", "cod_fee")
    if not 1 <= choice.bank_transfer_hold_days <= MAX_HOLD_DAYS:
        raise PaymentSettingsRefused(f"Choose between 1 and {MAX_HOLD_DAYS} days.",
                                     "bank_transfer_hold_days")
