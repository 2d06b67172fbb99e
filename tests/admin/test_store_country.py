"""The store's own country in /admin/settings: a choice among the served countries,
audited, and the checkout's default from the next page on."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from shop.extensions import db
from shop.models import AuditEvent, Store

from ..factories import make_product
from ..shopper import Shopper
from .helpers import field_error
from .test_settings import current_form


def chosen_country(html: str) -> str:
    select_html = re.search(r'<select[^>]*name="country".*?</select>', html, re.S).group(0)
    return re.search(r'<option selected value="([^"]+)"|<option value="([^"]+)" selected',
                     select_html).group(0).split('"')[1]


def test_the_owner_moves_the_store_and_checkout_starts_there(as_owner, clean_app, store):
    assert chosen_country(as_owner.get("/admin/settings").get_data(as_text=True)) == "US"
    response = as_owner.post("/admin/settings", data={**current_form(as_owner), "country": "CA"})
    assert response.status_code == 303
    assert db.session.scalar(select(Store.country).where(Store.id == store.id)) == "CA"
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.actor) == ("settings_changed", "staff:owner@example.com")
    assert event.reason.startswith("store country: US → CA")
    assert chosen_country(as_owner.get("/admin/settings").get_data(as_text=True)) == "CA"

    shopper = Shopper(clean_app.test_client())
    shopper.add(make_product(store, price=2000, stock=5), 1)
    html = shopper.client.get("/checkout").get_data(as_text=True)
    assert chosen_country(html) == "CA"


def test_a_country_the_shop_does_not_serve_is_refused_and_nothing_changes(as_owner, store):
    form = {**current_form(as_owner), "country": "ZZ", "hold_ttl_minutes": "30"}
    response = as_owner.post("/admin/settings", data=form)
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "country") == \
        "Choose a country from the list."
    assert db.session.scalar(select(Store.country).where(Store.id == store.id)) == "US"
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


def test_a_form_without_the_field_keeps_the_country(as_owner, store):
    form = current_form(as_owner)
    form.pop("country", None)
    form["hold_ttl_minutes"] = "20"
    assert as_owner.post("/admin/settings", data=form).status_code == 303
    assert db.session.scalar(select(Store.country).where(Store.id == store.id)) == "US"
    assert "store country" not in db.session.scalar(select(AuditEvent.reason))
