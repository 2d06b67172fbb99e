from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from ...domain.states import OrderStatus, PaymentStatus
from ...services.orders.queries import SORTS, OrderQuery
from . import strip

CARRIERS = ["USPS", "UPS", "FedEx", "DHL", "Royal Mail", "Canada Post", "DPD", "GLS", "Other"]


def _choices(enum, any_label):
    return {"": any_label, **{s.value: s.value.replace("_", " ").capitalize() for s in enum}}


class OrderFilterForm(FlaskForm):
    """The orders list's GET filters (no CSRF: reading only)."""

    class Meta:
        csrf = False

    q = StringField("Search", filters=[strip], validators=[Optional(), Length(max=254)],
                    description="Order number, full e-mail address or PaymentIntent id "
                                "(pi_…).")
    status = SelectField("Fulfilment", choices=_choices(OrderStatus, "Any fulfilment"),
                         validators=[Optional()])
    payment_status = SelectField("Payment", choices=_choices(PaymentStatus, "Any payment"),
                                 validators=[Optional()])
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    sort = SelectField("Sort", default="newest", validators=[Optional()], choices={
        "newest": "Newest first", "oldest": "Oldest first",
        "total_high": "Highest total", "total_low": "Lowest total"})
    attention = BooleanField("Only orders needing attention")
    include_archived = BooleanField("Include archived orders")

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")

    def query(self) -> OrderQuery:
        return OrderQuery(status=self.status.data or "",
                          payment_status=self.payment_status.data or "",
                          date_from=self.date_from.data, date_to=self.date_to.data,
                          search=self.q.data or "",
                          sort=self.sort.data if self.sort.data in SORTS else "newest",
                          attention=bool(self.attention.data),
                          include_archived=bool(self.include_archived.data))

    def args(self) -> dict:
        """The filters as query-string arguments, for page links and the CSV link."""
        values = {name: self[name].data for name in ("q", "status", "payment_status", "sort")}
        for name in ("date_from", "date_to"):
            values[name] = self[name].data.isoformat() if self[name].data else ""
        values["attention"] = "y" if self.attention.data else ""
        values["include_archived"] = "y" if self.include_archived.data else ""
        return {k: v for k, v in values.items() if v}


class ShipForm(FlaskForm):
    carrier = SelectField("Carrier", choices={"": "Choose a carrier", **{c: c for c in CARRIERS}},
                          validators=[InputRequired("Choose the carrier.")])
    tracking_number = StringField("Tracking number", filters=[strip], validators=[
        DataRequired("Enter the tracking number from the shipping label."),
        Length(min=4, max=100, message="A tracking number has %(min)d to %(max)d characters."),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9 -]*$",
               message="Use only letters, digits, spaces and dashes.")])


class NoteForm(FlaskForm):
    body = TextAreaField("Internal note", filters=[strip], validators=[
        DataRequired("Write the note first."),
        Length(max=2000, message="Keep a note under %(max)d characters.")])
