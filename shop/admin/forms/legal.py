from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from . import strip


class LegalForm(FlaskForm):
    """The seller as receipts and credit notes name it; empty fields: the store's name, no
    address, no tax id."""

    legal_name = StringField("Legal name", filters=[strip],
                             description="Printed on receipts. Empty: the store's name.",
                             validators=[Optional(), Length(max=200)])
    legal_address = TextAreaField("Legal address", filters=[strip],
                                  description="One line per line, as printed.",
                                  validators=[Optional(), Length(max=1000)])
    tax_id = StringField("Tax ID (VAT, EIN, ...)", filters=[strip],
                         validators=[Optional(), Length(max=60)])
