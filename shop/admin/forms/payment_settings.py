"""The payment methods section of /admin/settings: one checkbox and one position per method
the shop knows, the pre-selected method, and the limits of cash on delivery and bank
transfer. Amounts are typed as money in the store's currency, like the other settings."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ...config_providers import PAYMENT_METHODS
from ...domain.money import format_money, minor_to_decimal, parse_money
from ...domain.payment_methods.payment_settings import (
    MAX_BANK_ACCOUNT,
    MAX_HOLD_DAYS,
    MAX_STORED_AMOUNT,
    PaymentChoice,
    PaymentSettingsRefused,
)
from ...services.payments.methods import LABELS
from . import money_validator, strip


def _currency(form) -> str:
    return form.currency


def _stored_amount(form, field):
    """An amount the database can hold (parse_money alone allows larger ones); after
    ``money_validator``, which has said what is wrong with an amount it cannot read."""
    if field.errors or not field.data:
        return
    if parse_money(field.data, form.currency) > MAX_STORED_AMOUNT:
        raise ValidationError(
            f"Enter at most {format_money(MAX_STORED_AMOUNT, form.currency)}.")


class PaymentSettingsForm(FlaskForm):
    default_payment_method = SelectField(
        "Pre-selected at checkout", choices={m: LABELS[m] for m in PAYMENT_METHODS},
        validate_choice=True, invalid_choice_message="Choose a payment method from the list.")
    cod_max_amount = StringField(
        "Cash on delivery: largest order", filters=[strip],
        description="Orders above this total cannot be paid on delivery. Leave empty for "
                    "no limit.",
        validators=[Optional(), money_validator(_currency), _stored_amount])
    cod_fee = StringField(
        "Cash on delivery: fee", filters=[strip],
        description="Added to a cash-on-delivery order. Leave empty for none.",
        validators=[Optional(), money_validator(_currency), _stored_amount])
    bank_transfer_hold_days = IntegerField(
        "Bank transfer: hold stock for (days)",
        description="Unpaid transfers are canceled after this, and their stock released.",
        validators=[InputRequired("Enter a number of days."),
                    NumberRange(1, MAX_HOLD_DAYS, "Choose between %(min)s and %(max)s days.")])
    bank_account = TextAreaField(
        "Bank transfer: account details", filters=[strip],
        description="Printed on the shopper's instructions: account name, bank, account "
                    "number or IBAN. Needed to offer bank transfer.",
        validators=[Optional(), Length(max=MAX_BANK_ACCOUNT)])

    def choice(self) -> PaymentChoice:
        def money(text):
            return parse_money(text, self.currency) if text else None

        chosen = sorted((self[f"position_{m}"].data, index, m)
                        for index, m in enumerate(PAYMENT_METHODS) if self[f"on_{m}"].data)
        return PaymentChoice(
            enabled=tuple(m for *_, m in chosen), default=self.default_payment_method.data,
            cod_max_amount=money(self.cod_max_amount.data),
            cod_fee=money(self.cod_fee.data) or 0,
            bank_transfer_hold_days=self.bank_transfer_hold_days.data,
            bank_account=self.bank_account.data or "")

    def refuse(self, exc: PaymentSettingsRefused) -> None:
        """Show the service's refusal beside its field (or above the methods table)."""
        target = self[exc.field].errors if exc.field in self else self.form_errors
        target.append(str(exc))


def payment_settings_form(currency: str, current: PaymentChoice | None = None,
                          formdata=None) -> PaymentSettingsForm:
    """The form filled with ``current`` (the page), or with the post (``current`` None)."""

    class Form(PaymentSettingsForm):
        pass

    for position, method in enumerate(PAYMENT_METHODS, start=1):
        label = LABELS[method]
        setattr(Form, f"on_{method}", BooleanField(f"Offer {label}"))
        setattr(Form, f"position_{method}", IntegerField(
            f"Position of {label}", default=position,
            validators=[InputRequired("Enter a position."), NumberRange(
                1, len(PAYMENT_METHODS), "Choose between %(min)s and %(max)s.")]))
    if current is None:
        form = Form()
    else:
        form = Form(formdata=formdata, data=_initial(current, currency))
    form.currency = currency
    form.method_fields = {m: (form[f"on_{m}"], form[f"position_{m}"]) for m in PAYMENT_METHODS}
    return form


def _initial(current: PaymentChoice, currency: str) -> dict:
    order = [*current.enabled, *(m for m in PAYMENT_METHODS if m not in current.enabled)]
    data: dict[str, object] = {f"on_{m}": m in current.enabled for m in PAYMENT_METHODS}
    data |= {f"position_{m}": order.index(m) + 1 for m in PAYMENT_METHODS}
    return data | {
        "default_payment_method": current.default,
        "cod_max_amount": "" if current.cod_max_amount is None
        else minor_to_decimal(current.cod_max_amount, currency),
        "cod_fee": minor_to_decimal(current.cod_fee, currency) if current.cod_fee else "",
        "bank_transfer_hold_days": current.bank_transfer_hold_days,
        "bank_account": current.bank_account,
    }
