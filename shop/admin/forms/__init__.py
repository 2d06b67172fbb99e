"""WTForms for the admin pages: input shape and friendly messages live here only."""

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired, ValidationError

from ...domain.money import InvalidAmount, parse_money, parse_percent


def strip(value):
    return value.strip() if isinstance(value, str) else value


def money_validator(currency_of):
    """Check a decimal amount with ``parse_money`` (the only parser) and keep its message."""
    def check(form, field):
        if field.data in (None, ""):
            return
        try:
            parse_money(field.data, currency_of(form))
        except InvalidAmount as exc:
            raise ValidationError(str(exc)) from exc
    return check


def percent_validator(form, field):
    try:
        parse_percent(field.data)
    except InvalidAmount as exc:
        raise ValidationError(str(exc)) from exc


MAX_TAX_BP = 3000  # no sales tax or VAT the shop ships to comes near 30 %: a typo, surely


def tax_rate_validator(form, field):
    """A tax rate: a percentage (``parse_percent``) from 0 to 30."""
    percent_validator(form, field)
    if parse_percent(field.data) > MAX_TAX_BP:
        raise ValidationError("Enter a tax rate between 0 and 30 %.")


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class ConfirmForm(FlaskForm):
    """The confirmation step of a consequential action (cancel now; capture, void and refund
    later). The box must be ticked on the server's side too: no box, no action."""

    confirm = BooleanField(validators=[DataRequired(
        "Tick the box to confirm, or go back to the order.")])

    def with_label(self, text: str) -> "ConfirmForm":
        self.confirm.label.text = text
        return self
