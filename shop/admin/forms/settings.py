"""The owner's settings form. Its tax and shipping fields follow the rate table, so a
country or zone added to the defaults appears here without touching this file."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from ...domain.money import format_percent, minor_to_decimal, parse_money, parse_percent
from ...domain.pricing import SHIPPING_METHODS
from ...services.cart.carts import MAX_QUANTITY
from ...services.platform.settings import FREE_OVER, SettingsUpdate, ShopSettings
from . import money_validator, percent_validator, strip


def _currency(form) -> str:
    return form.currency


class SettingsForm(FlaskForm):
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


def settings_form(current: ShopSettings) -> SettingsForm:
    """A form with one tax field per country and one price per zone and method."""
    rates = current.rates

    class Form(SettingsForm):
        pass

    tax_fields, ship_fields = [], []
    for code, name in sorted(rates.countries.items(), key=lambda item: item[1]):
        setattr(Form, f"tax_{code}", StringField(f"{name} ({code}) tax %", filters=[strip],
                                                 validators=[percent_validator]))
        tax_fields.append((code, f"tax_{code}"))
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
    form = Form(data=_initial(current, tax_fields, ship_fields))
    form.currency = rates.currency
    form.tax_fields = [form[name] for _, name in tax_fields]
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
        data[name] = format_percent(current.rates.tax_bp.get(code, 0))
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
        tax_bp={code: parse_percent(form[name].data) for code, name in tax_fields},
        shipping=shipping,
        archive_after_days=form.archive_after_days.data,
    )
