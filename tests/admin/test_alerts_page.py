"""/admin/alerts (issue 22): the list and its kind filter, resolving with a note (owners only,
audited), and the navigation badge's one COUNT."""

from __future__ import annotations

import re

import pytest

from shop.extensions import db
from shop.models import (
    Role,
    StaffAlert,
)

from ..factories import make_user
from ..statements import statements_for
from .conftest import signed_in
from .helpers import field_error, open_alert, post
from .money import audit_rows, flash_message

# --- /admin/alerts ----------------------------------------------------------------------

def test_the_page_lists_and_filters_by_kind(as_staff, store, other_store):
    refused = open_alert(store, message="Refund re_1 of 1180 USD failed at the bank.")
    mismatch = open_alert(store, kind="api_version_mismatch", message="Other API version.")
    open_alert(other_store, message="Not this store's.")
    html = as_staff.get("/admin/alerts").get_data(as_text=True)
    assert f'id="alert-{refused}"' in html and f'id="alert-{mismatch}"' in html
    assert "Not this store" not in html
    assert "$11.80" in html and "1180 USD" not in html
    assert re.search(r'id="open-alert-count">2<', html)
    filtered = as_staff.get("/admin/alerts?kind=api_version_mismatch").get_data(as_text=True)
    assert f'id="alert-{mismatch}"' in filtered and f'id="alert-{refused}"' not in filtered
    assert "Resolve…" not in html  # staff see alerts; owners resolve them


def test_an_owner_resolves_with_a_note_audited(as_owner, store, owner):
    alert_id = open_alert(store)
    page = f"/admin/alerts/{alert_id}/resolve"
    response = post(as_owner, page, {"note": "Rolled the API key back."}, token_from=page)
    assert response.status_code == 303
    assert flash_message(as_owner.get("/admin/alerts").get_data(as_text=True)) == \
        "Alert resolved."
    db.session.rollback()
    alert = db.session.get(StaffAlert, alert_id)
    assert alert.resolved_at is not None
    assert (alert.resolved_by, alert.resolved_note) == ("staff:owner@example.com",
                                                        "Rolled the API key back.")
    assert audit_rows(entity_type="staff_alert", entity_id=alert_id) == [
        ("staff_alert", "alert_resolved", "open", "resolved", "staff:owner@example.com")]
    html = as_owner.get("/admin/alerts").get_data(as_text=True)
    assert "Rolled the API key back." in html and "open-alert-count" not in html
    again = post(as_owner, page, {"note": "twice"}, token_from="/admin/alerts")
    assert again.status_code == 409
    assert "This alert was resolved already." in again.get_data(as_text=True)
    assert len(audit_rows(entity_type="staff_alert", entity_id=alert_id)) == 1


@pytest.mark.parametrize("note", ["", "  ", "ok", "x" * 2001])
def test_a_bad_note_is_a_form_error_and_changes_nothing(as_owner, store, owner, note):
    alert_id = open_alert(store)
    page = f"/admin/alerts/{alert_id}/resolve"
    response = post(as_owner, page, {"note": note}, token_from=page)
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "note")
    db.session.rollback()
    assert db.session.get(StaffAlert, alert_id).resolved_at is None
    assert audit_rows(entity_type="staff_alert") == []


def test_staff_and_other_stores_cannot_resolve(clean_app, as_staff, store, other_store,
                                               staff_user):
    alert_id = open_alert(store)
    page = f"/admin/alerts/{alert_id}/resolve"
    assert post(as_staff, page, {"note": "Not mine to close."}).status_code == 403
    make_user("other-owner@example.com", store=other_store, role=Role.OWNER)
    other_owner = signed_in(clean_app, "other-owner@example.com")
    assert other_owner.get(page).status_code == 404
    assert post(other_owner, page, {"note": "Not my store."}).status_code == 404
    db.session.rollback()
    assert db.session.get(StaffAlert, alert_id).resolved_at is None
    assert audit_rows(entity_type="staff_alert") == []


def test_the_badge_costs_one_count_whatever_the_number_of_alerts(as_staff, store):
    open_alert(store)
    one = statements_for(as_staff, "/admin/products")
    for n in range(10):
        open_alert(store, kind=f"kind_{n}")
    many = statements_for(as_staff, "/admin/products")
    assert len(many) == len(one)
    assert sum("staff_alerts" in s for s in many) == 1
