from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import Email, InputRequired, Length, Regexp


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class LookupForm(FlaskForm):
    number = StringField("Order number", filters=[strip], description="For example 000042: "
                         "it is in your confirmation email.", validators=[
        InputRequired("Enter your order number."),
        Regexp(r"^#?\s*\d{1,12}$", message="Enter the order number from your email, "
               "for example 000042.")])
    email = EmailField("Email used for the order", filters=[strip], validators=[
        InputRequired("Enter your email address."), Length(max=254),
        Email("Enter an email address like name@example.com.")])


class RebuildForm(FlaskForm):
    """Only a CSRF token: "Rebuild my cart" is a POST."""
