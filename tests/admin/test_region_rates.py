"""The owner's tax rates per state and province: shown with their defaults, checked, saved
as differences, audited, and charged by the next checkout."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import AuditEvent, Order, StoreSettings

from ..factories import make_product
from ..shopper import Shopper
from .helpers import field_error, make_order
from .test_settings import current_form


def test_each_state_and_province_has_its_own_field_instead_of_the_country(as_owner, store):
    form = current_form(as_owner)
    assert (form["tax_US_TX"], form["tax_US_OR"], form["tax_US_DC"]) == ("6.25", "0", "6")
    assert (form["tax_CA_ON"], form["tax_CA_BC"], form["tax_CA_QC"]) == ("13", "12", "14.97")
    assert "tax_US" not in form and "tax_CA" not in form and "tax_US_PR" not in form
    assert form["tax_DE"] == "19"  # a country without regions keeps its one rate
    html = as_owner.get("/admin/settings").get_data(as_text=True)
    assert "Default: GST 5% + PST 7%." in html and "Default: HST 13%." in html


def test_an_edited_state_rate_is_saved_audited_and_charged(as_owner, clean_app, store):
    form = current_form(as_owner)
    form.update(tax_US_TX="8.5", tax_CA_BC="7")
    assert as_owner.post("/admin/settings", data=form).status_code == 303
    assert db.session.get(StoreSettings, store.id).tax_rates == {"US-TX": 850, "CA-BC": 700}
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.actor) == ("settings_changed", "staff:owner@example.com")
    assert "tax US-TX: 6.25% → 8.5%" in event.reason
    assert "tax CA-BC: 12% → 7%" in event.reason
    assert current_form(as_owner)["tax_US_TX"] == "8.5"

    shopper = Shopper(clean_app.test_client())
    shopper.add(make_product(store, price=2000, stock=5), 1)
    token = shopper.checkout(city="Austin", region="US-TX", postal_code="78701")
    order = db.session.scalar(select(Order).where(Order.token == token))
    # $20.00 + $5.00 shipping, 8.5 % on both = $2.125
    assert (order.ship_region, order.tax_rate_bp, order.tax) == ("US-TX", 850, 213)
    shopper.add(make_product(store, price=2000, stock=5), 1)
    token = shopper.checkout(city="Austin", region="US-CA", postal_code="78701")
    assert db.session.scalar(select(Order.tax_rate_bp).where(Order.token == token)) == 725


@pytest.mark.parametrize(("field", "value", "message"), [
    ("tax_US_TX", "31", "Enter a tax rate between 0 and 30 %."),
    ("tax_CA_ON", "-1", "Enter a percentage like 7.25."),
    ("tax_CA_QC", "", "Enter a percentage like 7.25."),
    ("tax_DE", "45", "Enter a tax rate between 0 and 30 %."),
])
def test_a_bad_rate_is_refused_beside_its_field_and_nothing_is_saved(
        as_owner, store, field, value, message):
    form = current_form(as_owner)
    form.update(tax_US_NY="5", **{field: value})  # a good change alongside is not saved either
    response = as_owner.post("/admin/settings", data=form)
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), field) == message
    assert db.session.get(StoreSettings, store.id) is None
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


def test_the_order_page_writes_the_region_and_country_in_full(as_staff, store):
    order = make_order(store)
    order.ship_city, order.ship_region, order.ship_postal_code = "Austin", "US-TX", "78701"
    canadian = make_order(store)
    canadian.ship_country, canadian.ship_region = "CA", "CA-ON"
    canadian.ship_city, canadian.ship_postal_code = "Ottawa", "K1A 0B1"
    db.session.commit()
    html = as_staff.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "Austin, Texas 78701<br>United States" in html
    html = as_staff.get(f"/admin/orders/{canadian.id}").get_data(as_text=True)
    assert "Ottawa, Ontario K1A 0B1<br>Canada" in html
