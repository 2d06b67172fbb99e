from dataclasses import fields

from wtforms import BooleanField, EmailField, HiddenField, RadioField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from ..address_fields import CountryRegionForm
from ..domain.pricing import DEFAULT_RATES, SHIPPING_METHODS, RateTable, offered_methods
from ..models import Address
from ..services.checkout.place import CheckoutDetails
from ..services.payments.methods import LABELS


def offered_to_country(form: "CheckoutForm", field: RadioField) -> None:
    """A known method the shop ships the chosen country by (an unknown one is refused by
    the field's choices)."""
    method = SHIPPING_METHODS.get(field.data or "")
    countries = dict(form.country.choices or [])
    if method is None or form.country.data not in countries:
        return
    if method not in offered_methods(form.rates, form.country.data):
        raise ValidationError(f"{method.label} shipping is not available to "
                              f"{countries[form.country.data]}. Choose another method.")


class CheckoutForm(CountryRegionForm):
    checkout_token = HiddenField(validators=[InputRequired()])
    email = EmailField("Email", validators=[
        InputRequired("Enter your email address."), Length(max=254),
        Email("Enter an email address like name@example.com.")])
    name = StringField("Full name", validators=[
        InputRequired("Enter the name to ship to."), Length(max=120)])
    line1 = StringField("Address", validators=[
        InputRequired("Enter a street address."), Length(max=200)])
    line2 = StringField("Apartment, suite, etc. (optional)", validators=[
        Optional(), Length(max=200)])
    city = StringField("City", validators=[InputRequired("Enter a city."), Length(max=120)])
    postal_code = StringField("Postal code", validators=[
        InputRequired("Enter a postal code."), Length(max=20)])
    shipping_method = RadioField("Shipping", default="standard", validators=[
        InputRequired("Choose a shipping method."), offered_to_country],
        invalid_choice_message="Choose one of the shipping methods listed.")
    # Checked against the store's offer and the order in place_order (one rule for the form
    # and a forged post); a post without it pays by the store's pre-selected method.
    payment_method = RadioField("Payment", validate_choice=False)
    save_address = BooleanField("Save this address in my account")
    # The second submit button: the summary again for the destination chosen, nothing placed.
    update_total = SubmitField("Update total")
    rates: RateTable = DEFAULT_RATES

    def prefill(self, email: str, addresses: list, chosen: int | None) -> Address | None:
        """A signed-in shopper's e-mail and saved address (``chosen``, else the default)."""
        if not self.email.data:
            self.email.data = email
        address = next((a for a in addresses if a.id == chosen), None) or next(
            (a for a in addresses if a.is_default), None)
        if address is not None:
            for name in ("name", "line1", "line2", "city", "postal_code", "region", "country"):
                getattr(self, name).data = getattr(address, name)
        return address

    def fill(self, details: CheckoutDetails) -> None:
        """Every field the details have (an order's, to change it)."""
        for name in (f.name for f in fields(details)):
            if name in self:
                self[name].data = getattr(details, name)

    def destination(self) -> tuple[str | None, str | None, str | None]:
        """The country, method and region the summary is for: with no country chosen yet,
        the one the browser shows selected, the list's first."""
        first = self.country.choices[0][0] if self.country.choices else None
        return self.country.data or first, self.shipping_method.data, self.region.data

    def validate_destination(self) -> bool:
        """Only the fields that price the order: "Update total" leaves the others alone,
        however unfinished."""
        return all([self.country.validate(self), self.shipping_method.validate(self),
                     self.region.validate(self, [type(self).validate_region])])

    def set_choices(self, rates: RateTable, home: str | None = None) -> "CheckoutForm":
        self.rates = rates
        self.set_countries(rates, home)
        self.shipping_method.choices = [
            (m.code, f"{m.label} ({m.days})") for m in SHIPPING_METHODS.values()]
        return self

    def set_payment_choices(self, offered: list[str], initial: str | None,
                            labels: dict[str, str] | None = None) -> "CheckoutForm":
        labels = {**LABELS, **(labels or {})}
        self.payment_method.choices = [(name, labels[name]) for name in offered]
        if not self.payment_method.data:
            self.payment_method.data = initial
        return self

    def details(self) -> CheckoutDetails:
        return CheckoutDetails(
            email=self.email.data.strip().lower(), name=self.name.data.strip(),
            line1=self.line1.data.strip(), line2=(self.line2.data or "").strip(),
            city=self.city.data.strip(), postal_code=self.postal_code.data.strip(),
            country=self.country.data, region=self.region.data or "",
            shipping_method=self.shipping_method.data,
        )
