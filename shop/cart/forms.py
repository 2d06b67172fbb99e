from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from ..domain.numbers import id_or_none
from ..services.cart.carts import MAX_QUANTITY


class AddToCartForm(FlaskForm):
    product_id = HiddenField(validators=[InputRequired()])
    # The chosen variant's id (a contract: issue 19). Optional for a product without options.
    variant = HiddenField()
    quantity = IntegerField(
        "Quantity", default=1,
        validators=[InputRequired("Enter a quantity."),
                    NumberRange(1, MAX_QUANTITY, "Choose between %(min)s and %(max)s.")],
    )

    def product_id_int(self) -> int | None:
        return id_or_none(self.product_id.data or "")

    def variant_id(self) -> int | None | bool:
        """The variant's id; None when none was chosen; False when the value is no id."""
        if not self.variant.data:
            return None
        return id_or_none(self.variant.data) or False


class UpdateCartForm(AddToCartForm):
    quantity = IntegerField(
        "Quantity",
        validators=[InputRequired("Enter a quantity."),
                    NumberRange(0, MAX_QUANTITY, "Choose between %(min)s and %(max)s.")],
    )
