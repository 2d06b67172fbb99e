"""The legal details printed on receipts: set by owners in /admin/settings, audited; bad
input changes nothing."""

from sqlalchemy import select

from shop.extensions import db
from shop.models import AuditEvent, StoreSettings

from .helpers import field_error, post


def test_owner_sets_the_legal_details_and_the_change_is_audited(as_owner, store):
    page = as_owner.get("/admin/settings").get_data(as_text=True)
    assert "Legal details on receipts" in page and 'name="legal_name"' in page
    response = post(as_owner, "/admin/settings/legal", {
        "legal_name": "Bean & Leaf Ltd", "legal_address": "1 Roast Street\r\nPortland OR",
        "tax_id": "GB123456789"}, token_from="/admin/settings")
    assert response.status_code == 303
    db.session.rollback()
    row = db.session.get(StoreSettings, store.id)
    assert (row.legal_name, row.legal_address, row.tax_id) == (
        "Bean & Leaf Ltd", "1 Roast Street\nPortland OR", "GB123456789")
    audit = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "legal_details_changed"))
    assert audit.actor == "staff:owner@example.com" and "Bean & Leaf Ltd" in audit.reason
    shown = as_owner.get("/admin/settings").get_data(as_text=True)
    assert 'value="Bean &amp; Leaf Ltd"' in shown
    again = post(as_owner, "/admin/settings/legal", {
        "legal_name": "Bean & Leaf Ltd", "legal_address": "1 Roast Street\nPortland OR",
        "tax_id": "GB123456789"}, token_from="/admin/settings", follow_redirects=True)
    assert "Nothing changed." in again.get_data(as_text=True)


def test_too_long_a_name_is_refused_and_changes_nothing(as_owner, store):
    response = post(as_owner, "/admin/settings/legal", {"legal_name": "x" * 201},
                    token_from="/admin/settings")
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "legal_name")
    db.session.rollback()
    assert db.session.get(StoreSettings, store.id) is None
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "legal_details_changed")) is None


def test_staff_cannot_change_them(as_staff, store):
    response = post(as_staff, "/admin/settings/legal", {"legal_name": "Mine now"})
    assert response.status_code == 403
    db.session.rollback()
    assert db.session.get(StoreSettings, store.id) is None
