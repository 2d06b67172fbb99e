"""Forms for the payments staff record by hand: a bank transfer received."""

from wtforms import DateField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from . import ConfirmForm, money_validator, strip


class TransferForm(ConfirmForm):
    """What arrived on the account: the amount (in the order's currency), when, and the
    bank's reference; then the box that confirms it."""

    amount = StringField("Amount received", filters=[strip], validators=[
        InputRequired("Enter the amount received."),
        money_validator(lambda form: form.currency)])
    received_on = DateField("Date received", validators=[
        DataRequired("Enter the date the transfer arrived, like 2026-12-07.")])
    reference = StringField("Reference on the transfer", filters=[strip],
                            validators=[Optional(), Length(max=100)])

    def __init__(self, *args, currency: str = "USD", **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
