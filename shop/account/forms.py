from datetime import UTC, datetime, time, timedelta

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Optional, ValidationError

from ..address_fields import CountryRegionForm
from ..domain.pricing import RateTable
from ..orders.presenter import STATUS_LABELS
from ..services.accounts.addresses import AddressData
from ..services.payments.history import STATUSES


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class AddressForm(CountryRegionForm):
    name = StringField("Full name", filters=[strip], validators=[
        InputRequired("Enter the name to ship to."), Length(max=120)])
    line1 = StringField("Address", filters=[strip], validators=[
        InputRequired("Enter a street address."), Length(max=200)])
    line2 = StringField("Apartment, suite, etc. (optional)", filters=[strip], validators=[
        Optional(), Length(max=200)])
    city = StringField("City", filters=[strip], validators=[
        InputRequired("Enter a city."), Length(max=120)])
    postal_code = StringField("Postal code", filters=[strip], validators=[
        InputRequired("Enter a postal code."), Length(max=20)])
    is_default = BooleanField("Use as my default shipping address")

    def set_choices(self, rates: RateTable, home: str | None = None) -> "AddressForm":
        self.set_countries(rates, home)
        return self

    def data_(self) -> AddressData:
        return AddressData(name=self.name.data, line1=self.line1.data,
                           line2=self.line2.data or "", city=self.city.data,
                           postal_code=self.postal_code.data, country=self.country.data,
                           region=self.region.data or "")


class OrderFilterForm(FlaskForm):
    """The history's status filter, read from the query string (no CSRF: it only reads)."""

    class Meta:
        csrf = False

    status = SelectField("Show", default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [("", "All orders")] + [
            (status.value, label) for status, label in STATUS_LABELS.items()]



def _plausible(field) -> None:
    if field.data and not 1970 <= field.data.year <= 9000:
        raise ValidationError("Enter a date between 1970 and 9000.")


class PaymentFilterForm(FlaskForm):
    """The payment history's filters, read from the query string (no CSRF: it only reads)."""

    class Meta:
        csrf = False

    status = SelectField("Status", default="", validate_choice=True,
                         invalid_choice_message="Choose one of the statuses in the list.")
    date_from = DateField("From", validators=[Optional()], format="%Y-%m-%d")
    date_to = DateField("To", validators=[Optional()], format="%Y-%m-%d")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [("", "All payments and refunds")] + [
            (key, label) for key, label in STATUSES.items()]

    def validate_date_from(self, field) -> None:
        _plausible(field)

    def validate_date_to(self, field) -> None:
        _plausible(field)
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date must be on or after the start date.")

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The dates as UTC instants: from the start of the first day to the end of the last."""
        since = self.date_from.data
        until = self.date_to.data
        return (datetime.combine(since, time.min, UTC) if since else None,
                datetime.combine(until + timedelta(days=1), time.min, UTC) if until else None)


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[
        InputRequired("Enter your current password."), Length(max=200)])
    password = PasswordField("New password", description="At least 10 characters.",
                             validators=[InputRequired("Choose a new password."),
                                         Length(max=200)])
    confirm = PasswordField("Repeat the new password", validators=[
        InputRequired("Repeat the new password."),
        EqualTo("password", "The two passwords are not the same.")])


class SignOutEverywhereForm(FlaskForm):
    """Only a CSRF token: a POST, so that a link elsewhere cannot do it."""
