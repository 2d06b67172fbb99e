"""Forms of the actions that move money. Each carries the server-checked confirmation box
of ``ConfirmForm``; amounts are parsed by ``parse_money``, the shop's one parser."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ...domain.money import InvalidAmount, parse_money
from ...services.refunds.refunds import STRIPE_REASONS
from ...web import shop_money
from . import ConfirmForm, money_validator, strip

REFUND_REASONS = {
    "requested_by_customer": "The customer asked for it",
    "duplicate": "Charged twice by mistake",
    "fraudulent": "Fraudulent payment",
}
assert set(REFUND_REASONS) == set(STRIPE_REASONS)  # noqa: S101 (one list, two places)

HOW = {"full": "Everything that is left", "amount": "An amount",
       "lines": "Chosen items (the shop works out the amount)"}


def _currency(form) -> str:
    return form.currency


class CaptureForm(ConfirmForm):
    amount = StringField("Amount to capture", filters=[strip], validators=[
        DataRequired("Enter the amount to capture."), money_validator(_currency)])

    def __init__(self, *args, currency: str = "USD", maximum: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency, self.maximum = currency, maximum

    def validate_amount(self, field):
        value = self.minor_amount() if field.data else None
        if value is None:
            return
        if value == 0:
            raise ValidationError("Enter an amount above zero, or void the payment instead.")
        if self.maximum is not None and value > self.maximum:
            raise ValidationError("You can capture at most "
                                  f"{shop_money(self.maximum, self.currency)}.")

    def minor_amount(self) -> int | None:
        if not self.amount.data:
            return None
        try:
            return parse_money(self.amount.data, self.currency)
        except InvalidAmount:
            return None  # reported by the field's money validator


class VoidForm(ConfirmForm):
    reason = StringField("Why (kept in the order's history)", filters=[strip],
                         validators=[Optional(), Length(max=200)])


class ReplayForm(FlaskForm):
    """The replay button of a failed webhook event: only the CSRF token."""


class RefundForm(FlaskForm):
    """Two steps: review (the server computes and shows the amount), then confirm.

    ``expected`` carries the amount shown at review back to the server; the refund is
    refused if the amount it computes differs, so what staff confirmed is what is refunded.
    One quantity field per order line is added by ``refund_form``.
    """

    how = RadioField("What to refund", choices=HOW, default="full",
                     validators=[InputRequired("Choose what to refund.")])
    # No Optional(): it would stop the chain before ``validate_amount`` when it is empty.
    amount = StringField("Amount", filters=[strip], validators=[money_validator(_currency)])
    restock = BooleanField("Put the refunded items back in stock")
    reason = SelectField("Reason", choices={"": "Choose a reason", **REFUND_REASONS},
                         validators=[InputRequired("Choose the reason for the refund.")])
    note = TextAreaField("Note (kept in the order's history)", filters=[strip],
                         validators=[Optional(), Length(max=500)])
    override_reason = TextAreaField(
        "Why refund after the refund window?", filters=[strip],
        description="Owners only: the reason is kept in the order's history.",
        validators=[Optional(), Length(max=500)])
    # Cash on delivery and bank transfer: staff pay the money back themselves.
    payout_reference = StringField(
        "Payout reference", filters=[strip],
        description="The reference of the transfer (or cash receipt) you paid the customer "
                    "back with.", validators=[Optional(), Length(max=200)])
    expected = HiddenField()
    confirm = BooleanField("I have checked the amount: refund it to the customer's card.")

    def validate_amount(self, field):
        if self.how.data != "amount":
            return
        if not field.data:
            raise ValidationError("Enter the amount to refund.")
        try:
            zero = parse_money(field.data, self.currency) == 0
        except InvalidAmount:
            return  # reported by the field's money validator
        if zero:
            raise ValidationError("Enter an amount above zero.")

    def validate_reason(self, field):
        if field.data not in REFUND_REASONS:
            raise ValidationError("Choose the reason for the refund.")

    def line_fields(self):
        return [(line_id, self[name]) for line_id, name in self.line_names]

    def quantities(self) -> dict[int, int] | None:
        if self.how.data != "lines":
            return None
        return {line_id: field.data or 0 for line_id, field in self.line_fields()}

    def minor_amount(self) -> int | None:
        if self.how.data != "amount" or not self.amount.data:
            return None
        return parse_money(self.amount.data, self.currency)

    def expected_amount(self) -> int | None:
        return int(self.expected.data) if (self.expected.data or "").isdigit() else None

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        if self.how.data != "lines":
            for _line_id, field in self.line_fields():
                field.errors = []  # quantities only count when refunding items
        elif not self.errors and not any(field.data for _line_id, field in self.line_fields()):
            self.how.errors = ["Enter how many of at least one item to refund."]
        return not self.errors


def refund_form(lines, currency: str, *, formdata=None, **kwargs) -> RefundForm:
    """A refund form with a quantity field for each of ``lines`` (``RefundableLine``)."""

    class Form(RefundForm):
        pass

    names = []
    for line in lines:
        name = f"qty_{line.line_id}"
        setattr(Form, name, IntegerField(
            f"{line.name}", default=0, validators=[
                Optional(), NumberRange(0, line.left, f"Refund at most {line.left} of "
                                                      f"{line.name}.")]))
        names.append((line.line_id, name))
    Form.line_names = names
    form = Form(formdata=formdata, **kwargs) if formdata is not None else Form(**kwargs)
    form.currency = currency
    return form
