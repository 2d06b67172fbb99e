"""The rules of a store's payment-method settings
(shop/domain/payment_methods/payment_settings.py), whoever
saves them: the admin form checks only the input's shape."""

from dataclasses import replace

import pytest

from shop.domain.payment_methods.payment_settings import (
    PaymentChoice,
    PaymentSettingsRefused,
    check_payment_choice,
)

KNOWN = ("stripe", "stripe_checkout", "paystack", "flutterwave", "bank_transfer", "cod")
GOOD = PaymentChoice(enabled=("stripe", "cod"), default="cod", cod_max_amount=50_000,
                     cod_fee=0, bank_transfer_hold_days=3, bank_account="")


def test_a_sound_choice_passes():
    check_payment_choice(GOOD, KNOWN)
    check_payment_choice(replace(GOOD, enabled=("bank_transfer",), default="bank_transfer",
                                 bank_account="IBAN DE00", cod_max_amount=None), KNOWN)


@pytest.mark.parametrize(("change", "field"), [
    ({"enabled": ("stripe", "bitcoin")}, "payment_methods"),
    ({"enabled": ("stripe", "stripe"), "default": "stripe"}, "payment_methods"),
    ({"enabled": ()}, "payment_methods"),
    ({"default": "paystack"}, "default_payment_method"),
    ({"enabled": ("bank_transfer",), "default": "bank_transfer"}, "bank_account"),
    ({"enabled": ("bank_transfer",), "default": "bank_transfer", "bank_account": "  "},
     "bank_account"),
    ({"bank_account": "x" * 1001}, "bank_account"),
    ({"cod_max_amount": 0}, "cod_max_amount"),
    ({"cod_max_amount": 2**31}, "cod_max_amount"),
    ({"cod_fee": -1}, "cod_fee"),
    ({"bank_transfer_hold_days": 0}, "bank_transfer_hold_days"),
    ({"bank_transfer_hold_days": 31}, "bank_transfer_hold_days"),
])
def test_each_rule_names_its_field(change, field):
    with pytest.raises(PaymentSettingsRefused) as refused:
        check_payment_choice(replace(GOOD, **change), KNOWN)
    assert refused.value.field == field
    assert refused.value.code == "payment_settings_refused"
