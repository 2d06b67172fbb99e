"""Archived orders in the admin: out of the default list, back with "Include archived
orders", always found by a search, in the CSV export when included; the per-store
archive setting in /admin/settings."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import AuditEvent, Order, StoreSettings
from shop.models.types import utcnow
from shop.services.platform.settings import effective_settings

from .helpers import csrf, field_error, make_order, paid_order

ORDER_LINK = re.compile(r'href="/admin/orders/(\d+)"')


def listed(client, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return [int(i) for i in ORDER_LINK.findall(response.get_data(as_text=True))]


@pytest.fixture
def shelf(store):
    """One live order and one archived order (delivered long ago) of the store."""
    live = paid_order(store, email="grace@example.com")
    gone = make_order(store, status="delivered", payment_status="paid",
                      created_at=utcnow() - timedelta(days=200), email="alan@example.com",
                      hold=None)
    gone.archived_at = utcnow() - timedelta(days=100)
    db.session.commit()
    return live.id, gone.id


def test_the_default_list_hides_archived_orders(as_staff, shelf):
    live, gone = shelf
    assert listed(as_staff, "/admin/orders") == [live]


def test_include_archived_shows_them_with_a_badge(as_staff, shelf):
    live, gone = shelf
    assert listed(as_staff, "/admin/orders?include_archived=y") == [live, gone]
    html = as_staff.get("/admin/orders?include_archived=y").get_data(as_text=True)
    assert html.count('class="badge badge-archived">archived<') == 1
    checkbox = re.search(r'<input[^>]*name="include_archived"[^>]*>', html).group(0)
    assert "checked" in checkbox


@pytest.mark.parametrize("query", ["alan@example.com", "{gone}", "#{gone:06d}"])
def test_a_search_finds_an_archived_order(as_staff, shelf, query):
    live, gone = shelf
    q = query.format(gone=gone).replace("#", "%23")
    assert listed(as_staff, f"/admin/orders?q={q}") == [gone]


def test_filters_leave_archived_orders_out_unless_included(as_staff, shelf):
    live, gone = shelf
    assert listed(as_staff, "/admin/orders?status=delivered") == []
    assert listed(as_staff, "/admin/orders?status=delivered&include_archived=y") == [gone]


def test_the_export_follows_the_list(as_staff, shelf):
    live, gone = shelf

    def exported(url):
        response = as_staff.get(url)
        assert response.status_code == 200
        return {r["order"]: r["archived_at"]
                for r in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}

    assert exported("/admin/orders/export.csv") == {f"{live:06d}": ""}
    rows = exported("/admin/orders/export.csv?include_archived=y")
    assert rows[f"{live:06d}"] == "" and rows[f"{gone:06d}"].startswith(
        str((utcnow() - timedelta(days=100)).year))


def test_the_archived_order_page_still_opens(as_staff, shelf):
    _live, gone = shelf
    response = as_staff.get(f"/admin/orders/{gone}")
    assert response.status_code == 200 and f"Order {gone:06d}" in response.get_data(as_text=True)


def settings_form(client) -> dict:
    html = client.get("/admin/settings").get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    fields["csrf_token"] = csrf(client, "/admin/settings")
    return fields


def test_the_owner_sets_the_archive_age(as_owner, store):
    form = settings_form(as_owner)
    assert form["archive_after_days"] == "90"
    response = as_owner.post("/admin/settings", data={**form, "archive_after_days": "30"})
    assert response.status_code == 303
    assert db.session.get(StoreSettings, store.id).archive_after_days == 30
    assert effective_settings(store.id).archive_after_days == 30
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "settings_changed"))
    assert "archive after days: 90 → 30" in event.reason


@pytest.mark.parametrize(("value", "message"), [
    ("0", "Choose between 1 and 3650 days."), ("99999", "Choose between 1 and 3650 days."),
    ("ninety", "Not a valid integer value.")])
def test_a_bad_archive_age_is_refused_and_changes_nothing(as_owner, store, value, message):
    form = settings_form(as_owner)
    response = as_owner.post("/admin/settings", data={**form, "archive_after_days": value})
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "archive_after_days") == message
    assert db.session.get(StoreSettings, store.id) is None
    assert db.session.scalar(select(AuditEvent)) is None


def test_staff_cannot_change_it(as_staff, store):
    response = as_staff.post("/admin/settings", data={"archive_after_days": "30",
                                                      "csrf_token": csrf(as_staff)})
    assert response.status_code == 403
    assert db.session.get(StoreSettings, store.id) is None
    assert db.session.scalars(select(Order)).all() == []
