from wtforms import BooleanField, EmailField, HiddenField, RadioField, StringField
from wtforms.validators import Email, InputRequired, Length, Optional

from ..address_fields import CountryRegionForm
from ..domain.pricing import SHIPPING_METHODS, RateTable
from ..models import Address
from ..services.checkout.place import CheckoutDetails


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
        InputRequired("Choose a shipping method.")])
    save_address = BooleanField("Save this address in my account")

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

    def set_choices(self, rates: RateTable, home: str | None = None) -> "CheckoutForm":
        self.set_countries(rates, home)
        self.shipping_method.choices = [
            (m.code, f"{m.label} ({m.days})") for m in SHIPPING_METHODS.values()]
        return self

    def details(self) -> CheckoutDetails:
        return CheckoutDetails(
            email=self.email.data.strip().lower(), name=self.name.data.strip(),
            line1=self.line1.data.strip(), line2=(self.line2.data or "").strip(),
            city=self.city.data.strip(), postal_code=self.postal_code.data.strip(),
            country=self.country.data, region=self.region.data or "",
            shipping_method=self.shipping_method.data,
        )
