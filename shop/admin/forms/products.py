from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ...domain.money import minor_to_decimal, parse_money
from ...services.catalog.media import StoredImage
from ...services.catalog.products import SLUG, ProductInput, slugify
from ...services.catalog.variants import SKU, VariantInput
from . import money_validator, strip

REASONS = {"received": "Delivery received", "recount": "Stock count correction",
           "damaged": "Damaged or lost", "returned": "Customer return", "other": "Other"}


class ProductForm(FlaskForm):
    name = StringField("Name", filters=[strip], validators=[
        DataRequired("Enter the product's name."), Length(max=200)])
    slug = StringField("Web address (slug)", filters=[strip, lambda v: v.lower() if v else v],
                       description="Lowercase letters, digits and dashes, e.g. kenya-nyeri. "
                                   "Leave empty to make one from the name.",
                       validators=[Optional(), Length(max=120), Regexp(
                           SLUG.pattern, message="Use lowercase letters, digits and single "
                                                 "dashes only, like kenya-nyeri.")])
    description = TextAreaField("Description", filters=[strip],
                                validators=[Optional(), Length(max=5000)])
    price = StringField("Price", filters=[strip],
                        description="For a product with options, set each variant's price "
                                    "under Variants.",
                        validators=[DataRequired("Enter a price, like 12.50."),
                                    money_validator(lambda form: form.currency)])
    category_id = SelectField("Category", coerce=lambda v: int(v) if v else None,
                              validators=[Optional()])
    images = MultipleFileField("Add images", description="PNG, JPEG, GIF or WebP, up to 2 MB "
                               "each; choose several at once if you like.",
                               render_kw={"accept": "image/png,image/jpeg,image/gif,image/webp"})

    def __init__(self, *args, currency: str, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.category_id.choices = {"": "No category", **{str(c.id): c.name for c in categories}}

    @staticmethod
    def initial(product) -> dict:
        return {"name": product.name, "slug": product.slug,
                "description": product.description,
                "price": minor_to_decimal(product.price, product.currency),
                "category_id": product.category_id}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not self.slug.data and not slugify(self.name.data):
            self.slug.errors.append("Enter a web address: the name has no letters to make "
                                    "one from.")
            return False
        return valid

    def uploads(self) -> list:
        """The files chosen in ``images`` (a browser sends one empty part for none)."""
        return [f for f in self.images.data or [] if getattr(f, "filename", "")]

    def product_input(self, new_images: list[StoredImage]) -> ProductInput:
        return ProductInput(
            name=self.name.data, slug=self.slug.data or slugify(self.name.data),
            description=self.description.data or "",
            price=parse_money(self.price.data, self.currency),
            category_id=self.category_id.data, new_images=tuple(new_images))


class ImageForm(FlaskForm):
    """One image of a product: its alt text, or a move or its deletion (the button)."""

    alt = StringField("Description for screen readers (alt text)", filters=[strip],
                      validators=[Optional(), Length(max=300)])
    action = SelectField(choices=["save", "up", "down", "delete"],
                         validators=[InputRequired()])


class VariantForm(FlaskForm):
    """A variant's SKU, name, price and whether it is sold (its stock: ``StockForm``)."""

    sku = StringField("SKU", filters=[strip], validators=[
        DataRequired("Enter a SKU."), Length(max=120),
        Regexp(SKU.pattern, message="Use letters, digits, dots, dashes and underscores, "
                                    "like ETH-250G-WB.")])
    name = StringField("Option name", filters=[strip],
                       description="E.g. “1 kg · ground”. Empty for a product without options.",
                       validators=[Optional(), Length(max=120)])
    price = StringField("Price", filters=[strip], validators=[
        DataRequired("Enter a price, like 12.50."),
        money_validator(lambda form: form.currency)])
    active = BooleanField("On sale", default=True)

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency

    @staticmethod
    def initial(variant, currency: str) -> dict:
        return {"sku": variant.sku, "name": variant.name, "active": variant.active,
                "price": minor_to_decimal(variant.price, currency)}

    def variant_input(self) -> VariantInput:
        return VariantInput(sku=self.sku.data, name=self.name.data or "",
                            price=parse_money(self.price.data, self.currency),
                            active=bool(self.active.data))


class StockForm(FlaskForm):
    # Which variant's stock; a product without options needs no choice.
    variant = SelectField("Variant", coerce=lambda v: int(v) if v else None,
                          validators=[Optional()], validate_choice=False)
    delta = IntegerField("Change in units", description="Positive to add, negative to remove.",
                         validators=[InputRequired("Enter how many units to add or remove."),
                                     NumberRange(-100_000, 100_000)])
    reason = SelectField("Reason", choices=REASONS,
                         validators=[InputRequired("Choose a reason.")])
    note = StringField("Note (optional)", filters=[strip], validators=[Optional(),
                                                                        Length(max=150)])

    def validate_delta(self, field):
        if field.data == 0:
            raise ValidationError("Enter a number of units other than 0.")

    def reason_text(self) -> str:
        label = REASONS[self.reason.data]
        return f"{label}: {self.note.data}" if self.note.data else label
