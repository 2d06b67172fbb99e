"""Owner settings: saved as differences from the defaults, audited, and used by checkout."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import AuditEvent, InventoryHold, Order, StoreSettings
from shop.services.platform.settings import effective_settings

from ..factories import make_product
from ..shopper import Shopper
from .helpers import csrf, field_error


def current_form(client) -> dict:
    """Every field of the settings page with the value it shows."""
    html = client.get("/admin/settings").get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    fields["csrf_token"] = csrf(client, "/admin/settings")
    return fields


def test_the_page_shows_the_defaults(as_owner, store):
    form = current_form(as_owner)
    assert (form["hold_ttl_minutes"], form["refund_window_days"], form["tax_US_CA"],
            form["ship_domestic_standard"], form["free_domestic"]) == \
        ("15", "90", "7.25", "5.00", "75.00")
    assert form["staff_refund_limit"] == "" and form["ship_europe_express"] == "35.00"


def test_saving_stores_only_the_changes_and_audits_them(as_owner, store):
    form = current_form(as_owner)
    form.update(hold_ttl_minutes="30", tax_US_CA="8", ship_domestic_standard="6.00",
                free_domestic="", staff_refund_limit="100")
    response = as_owner.post("/admin/settings", data=form)
    assert response.status_code == 303
    row = db.session.get(StoreSettings, store.id)
    assert (row.hold_ttl_minutes, row.refund_window_days, row.staff_refund_limit) == \
        (30, None, 10000)
    assert row.tax_rates == {"US-CA": 800}
    assert row.shipping_rates == {"domestic": {"standard": 600, "free_over": None}}
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.actor) == ("settings_changed", "staff:owner@example.com")
    assert "tax US-CA: 7.25% → 8%" in event.reason
    assert "hold ttl minutes: 15 → 30" in event.reason
    settings = effective_settings(store.id)
    assert settings.rates.zone_for("US").free_standard_over is None
    assert settings.rates.tax_bp["DE"] == 1900  # untouched: still the default


def test_saving_the_same_values_changes_nothing(as_owner, store):
    assert as_owner.post("/admin/settings", data=current_form(as_owner)).status_code == 303
    assert db.session.get(StoreSettings, store.id) is None
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


def test_bad_values_are_refused_beside_their_fields(as_owner, store):
    form = current_form(as_owner)
    form.update(hold_ttl_minutes="0", tax_US_CA="seven", ship_domestic_standard="-5",
                staff_refund_limit="1,00")
    response = as_owner.post("/admin/settings", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field_error(html, "hold_ttl_minutes") == "Choose between 1 and 1440 minutes."
    assert field_error(html, "tax_US_CA") == "Enter a percentage like 7.25."
    assert field_error(html, "ship_domestic_standard") == "Enter an amount of 0 or more."
    assert field_error(html, "staff_refund_limit") == "Enter an amount like 12.50."
    assert db.session.get(StoreSettings, store.id) is None


def test_checkout_uses_the_stores_rates_and_hold_time(as_owner, clean_app, store):
    form = current_form(as_owner)
    form.update(tax_US_CA="10", ship_domestic_standard="7.00", free_domestic="",
                hold_ttl_minutes="45")
    assert as_owner.post("/admin/settings", data=form).status_code == 303
    shopper = Shopper(clean_app.test_client())
    shopper.add(make_product(store, price=2000, stock=5), 1)
    token = shopper.checkout()
    order = db.session.scalar(select(Order).where(Order.token == token))
    # $20.00 + $7.00 shipping, 10 % tax on both = $2.70
    assert (order.shipping, order.tax_rate_bp, order.tax, order.total) == (700, 1000, 270, 2970)
    hold = db.session.scalar(select(InventoryHold))
    assert abs((hold.expires_at - hold.created_at) - timedelta(minutes=45)) < \
        timedelta(seconds=5)


def test_the_checkout_page_states_the_stores_free_shipping(as_owner, clean_app, store):
    shopper = Shopper(clean_app.test_client())
    shopper.add(make_product(store, price=2000, stock=5), 1)
    page = shopper.client.get("/checkout").get_data(as_text=True)
    assert "free to United States on orders of $75.00 or more" in page
    form = current_form(as_owner)
    form.update(free_domestic="50")
    as_owner.post("/admin/settings", data=form)
    page = shopper.client.get("/checkout").get_data(as_text=True)
    assert "free to United States on orders of $50.00 or more" in page


def test_the_owner_caps_units_of_one_product_per_order(as_owner, clean_app, store):
    form = current_form(as_owner)
    assert form["max_units_per_product"] == "10"  # MAX_UNITS_PER_PRODUCT
    form.update(max_units_per_product="3")
    assert as_owner.post("/admin/settings", data=form).status_code == 303
    assert db.session.get(StoreSettings, store.id).max_units_per_product == 3
    event = db.session.scalar(select(AuditEvent))
    assert "max units per product: 10 → 3" in event.reason
    shopper = Shopper(clean_app.test_client())
    product = make_product(store, name="Gesha", stock=20)
    shopper.add(product, 4)
    assert "You can buy at most 3 of Gesha in one order." in \
        shopper.client.get("/cart").get_data(as_text=True)
    shopper.add(product, 3)
    shopper.checkout()
    assert db.session.scalar(select(func.sum(InventoryHold.quantity))) == 3


@pytest.mark.parametrize("value,message", [("0", "Choose between 1 and 99."),
                                           ("", "Enter a number of units.")])
def test_a_bad_unit_cap_is_refused(as_owner, store, value, message):
    form = current_form(as_owner)
    form.update(max_units_per_product=value)
    response = as_owner.post("/admin/settings", data=form)
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "max_units_per_product") == message
    assert db.session.get(StoreSettings, store.id) is None
