"""The owner's settings form. Its tax and shipping fields follow the rate table, so a
country, region or zone added to the defaults appears here without touching this file.
A country whose addresses name a state or province (domain/regions.py) has one tax field
per region instead of one for the country: its country rate would never be used."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from ...domain.money import format_percent, minor_to_decimal, parse_money, parse_percent
from ...domain.pricing import SHIPPING_METHODS
from ...domain.regions import REGION_WORD, regions_of
from ...domain.tax_rates import default_breakdown
from ...services.cart.carts import MAX_QUANTITY
from ...services.platform.settings import FREE_OVER, SettingsUpdate, ShopSettings
from . import money_validator, strip, tax_rate_validator


def _currency(form) -> str:
    return form.currency


class SettingsForm(FlaskForm):
    country = SelectField(
        "The store's country",
        description="Where the shop ships from: the checkout and address forms start on it.",
        validate_choice=True, invalid_choice_message="Choose a country from the list.")
    hold_ttl_minutes = IntegerField(
        "Hold stock at checkout for (minutes)", validators=[
            InputRequired("Enter a number of minutes."),
            NumberRange(1, 1440, "Choose between %(min)s and %(max)s minutes.")])
    unpaid_order_ttl_minutes = IntegerField(
        "Cancel unpaid orders after (minutes)", validators=[
            InputRequired("Enter a number of minutes."),
            NumberRange(5, 10080, "Choose between %(min)s and %(max)s minutes.")])
    refund_window_days = IntegerField(
        "Refunds allowed for (days after payment)", validators=[
            InputRequired("Enter a number of days."),
            NumberRange(1, 365, "Choose between %(min)s and %(max)s days.")])
    max_units_per_product = IntegerField(
        "Most units of one product in one order",
        description="One checkout holds at most this many of each product while the shopper "
                    "pays, so a single unpaid order cannot make a product look sold out.",
        validators=[InputRequired("Enter a number of units."),
                    NumberRange(1, MAX_QUANTITY, "Choose between %(min)s and %(max)s.")])
    staff_refund_limit = StringField(
        "Most staff may refund on one order", filters=[strip],
        description="All refunds of the order together; API keys too. Owners may refund any "
                    "amount. Leave empty for no limit.",
        validators=[Optional(), money_validator(_currency)])
    archive_after_days = IntegerField(
        "Archive closed orders after (days)",
        description="Delivered, canceled and refunded orders untouched this long leave the "
                    "default orders list. They are never deleted.",
        # No InputRequired: a form posted without the field keeps the current value.
        validators=[NumberRange(1, 3650, "Choose between %(min)s and %(max)s days.")])


def settings_form(current: ShopSettings, country: str) -> SettingsForm:
    """A form with one tax field per country and one price per zone and method; ``country``
    is the store's own."""
    rates = current.rates

    class Form(SettingsForm):
        pass

    tax_fields, ship_fields, region_groups = [], [], []
    for code, name in sorted(rates.countries.items(), key=lambda item: item[1]):
        regions = regions_of(code)
        if not regions:
            setattr(Form, f"tax_{code}", StringField(
                f"{name} ({code}) tax %", filters=[strip], validators=[tax_rate_validator]))
            tax_fields.append((code, f"tax_{code}"))
            continue
        group = []
        for region in regions:
            field_name = f"tax_{region.code.replace('-', '_')}"
            breakdown = default_breakdown(region.code)
            setattr(Form, field_name, StringField(
                f"{region.name} ({region.code}) %", filters=[strip],
                description=f"Default: {breakdown}." if breakdown else "",
                validators=[tax_rate_validator]))
            tax_fields.append((region.code, field_name))
            group.append(field_name)
        region_groups.append((f"{name}: tax by {REGION_WORD[code]}", group))
    for zone in rates.zones:
        for method in zone.shipping:
            label = f"{zone.label}: {SHIPPING_METHODS[method].label}"
            setattr(Form, f"ship_{zone.code}_{method}", StringField(
                label, filters=[strip], validators=[
                    DataRequired("Enter a price, like 5.00."), money_validator(_currency)]))
            ship_fields.append((zone.code, method, f"ship_{zone.code}_{method}"))
        setattr(Form, f"free_{zone.code}", StringField(
            f"{zone.label}: free standard shipping from", filters=[strip],
            description="Leave empty for no free shipping.",
            validators=[Optional(), money_validator(_currency)]))
        ship_fields.append((zone.code, FREE_OVER, f"free_{zone.code}"))
    form = Form(data=_initial(current, tax_fields, ship_fields) | {"country": country})
    form.country.choices = sorted(rates.countries.items(), key=lambda item: item[1])
    form.currency = rates.currency
    form.tax_fields = [form[name] for code, name in tax_fields if "-" not in code]
    form.region_groups = [(legend, [form[name] for name in names])
                          for legend, names in region_groups]
    form.ship_fields = [form[name] for *_, name in ship_fields]
    form.layout = (tax_fields, ship_fields)
    return form


def _initial(current: ShopSettings, tax_fields, ship_fields) -> dict:
    currency = current.rates.currency
    data = {name: getattr(current, name) for name in (
        "hold_ttl_minutes", "unpaid_order_ttl_minutes", "refund_window_days",
        "max_units_per_product", "archive_after_days")}
    limit = current.staff_refund_limit
    data["staff_refund_limit"] = "" if limit is None else minor_to_decimal(limit, currency)
    for code, name in tax_fields:
        table = current.rates.region_tax_bp if "-" in code else current.rates.tax_bp
        data[name] = format_percent(table.get(code, 0))
    zones = {zone.code: zone for zone in current.rates.zones}
    for zone_code, method, name in ship_fields:
        zone = zones[zone_code]
        amount = zone.free_standard_over if method == FREE_OVER else zone.shipping[method]
        data[name] = "" if amount is None else minor_to_decimal(amount, currency)
    return data


def to_update(form: SettingsForm) -> SettingsUpdate:
    tax_fields, ship_fields = form.layout
    currency = form.currency

    def money(text):
        return parse_money(text, currency) if text else None

    shipping: dict[str, dict] = {}
    for zone_code, method, name in ship_fields:
        shipping.setdefault(zone_code, {})[method] = money(form[name].data)
    return SettingsUpdate(
        hold_ttl_minutes=form.hold_ttl_minutes.data,
        unpaid_order_ttl_minutes=form.unpaid_order_ttl_minutes.data,
        refund_window_days=form.refund_window_days.data,
        staff_refund_limit=money(form.staff_refund_limit.data),
        max_units_per_product=form.max_units_per_product.data,
        tax_bp={code: parse_percent(form[name].data) for code, name in tax_fields
                if "-" not in code},
        region_tax_bp={code: parse_percent(form[name].data) for code, name in tax_fields
                       if "-" in code},
        shipping=shipping,
        archive_after_days=form.archive_after_days.data,
        country=form.country.data,
    )
