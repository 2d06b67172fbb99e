"""Owners change people's role and remove them; a store always keeps an owner.
(Inviting people: test_staff_invites.py.)"""

from __future__ import annotations

from sqlalchemy import func, select

from shop.extensions import db
from shop.models import AuditEvent, Role, StoreMembership, User

from ..factories import make_user
from .conftest import signed_in
from .helpers import field_error, post


def membership(user_id: int, store_id: int) -> StoreMembership | None:
    return db.session.scalar(select(StoreMembership).where(
        StoreMembership.user_id == user_id, StoreMembership.store_id == store_id))


def test_adding_someone_twice_or_a_bad_email_is_explained(as_owner, store, staff_user):
    again = post(as_owner, "/admin/staff", {"email": "staff@example.com", "role": "owner"})
    assert again.status_code == 400
    assert field_error(again.get_data(as_text=True), "email") == \
        "staff@example.com is already a member of this store."
    bad = post(as_owner, "/admin/staff", {"email": "not-an-email", "role": "staff"})
    assert field_error(bad.get_data(as_text=True), "email") == \
        "Enter an e-mail address like name@example.com."
    assert membership(staff_user.id, store.id).role == Role.STAFF
    assert db.session.scalar(select(func.count(User.id))) == 2


def test_change_a_role(as_owner, store, staff_user):
    member = membership(staff_user.id, store.id)
    response = post(as_owner, f"/admin/staff/{member.id}/role", {"role": "owner"})
    assert response.status_code == 303
    db.session.refresh(member)
    assert member.role == Role.OWNER
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.from_state, event.to_state) == \
        ("staff_role_changed", "staff", "owner")


def test_the_last_owner_cannot_be_demoted_or_removed(as_owner, store, owner):
    member = membership(owner.id, store.id)
    demote = post(as_owner, f"/admin/staff/{member.id}/role", {"role": "staff"})
    assert demote.status_code == 409
    assert "A store needs at least one owner." in demote.get_data(as_text=True)
    remove = post(as_owner, f"/admin/staff/{member.id}/remove")
    assert remove.status_code == 409
    db.session.refresh(member)
    assert member.role == Role.OWNER
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


def test_with_two_owners_one_may_step_down(clean_app, as_owner, store, owner):
    second = make_user("second@example.com", store=store, role=Role.OWNER)
    member = membership(owner.id, store.id)
    assert post(as_owner, f"/admin/staff/{member.id}/role",
                {"role": "staff"}).status_code == 303
    assert as_owner.get("/admin/settings").status_code == 403
    other = signed_in(clean_app, second.email)
    last = membership(second.id, store.id)
    assert post(other, f"/admin/staff/{last.id}/remove").status_code == 409


def test_remove_someone(clean_app, as_owner, as_staff, store, staff_user):
    member_id = membership(staff_user.id, store.id).id
    response = post(as_owner, f"/admin/staff/{member_id}/remove")
    assert response.status_code == 303
    assert membership(staff_user.id, store.id) is None
    assert as_staff.get("/admin/").status_code == 403  # checked on the very next request
    assert db.session.get(User, staff_user.id) is not None  # the account stays


def test_another_stores_member_is_not_found(as_owner, other_store, outsider):
    member = membership(outsider.id, other_store.id)
    response = post(as_owner, f"/admin/staff/{member.id}/remove")
    assert response.status_code == 404
    assert membership(outsider.id, other_store.id) is not None
