"""Owners invite people by e-mail: a one-time, time-limited link with which the person sets
their own password (or, with an account already, signs in) and joins. Until then the
invitation grants nothing, and the owner can revoke it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from shop.extensions import db
from shop.models import AuditEvent, Role, StaffInvite, StoreMembership, User
from shop.models.types import utcnow
from shop.services.accounts.users import authenticate

from ..factories import PASSWORD, make_user
from ..shopper import clear_outbox, csrf_token, login, outbox, post_form
from .conftest import signed_in
from .helpers import post

CHOSEN = "my own secret phrase"  # noqa: S105 - test value


@pytest.fixture
def mailbox(clean_app):
    clear_outbox(clean_app)
    return lambda: outbox(clean_app)


def invite(owner_client, email: str, role: str = "staff"):
    return post(owner_client, "/admin/staff", {"email": email, "role": role})


def link_in(mail) -> str:
    match = re.search(r"(\S+)(/account/invite/\S+)", mail.get_content())
    assert match, mail.get_content()
    assert match.group(1) == "http://127.0.0.1:5000"  # BASE_URL, not the request's host
    return match.group(2)


def accept(client, link: str, password: str = CHOSEN, confirm: str | None = None):
    """POST the link's form (with a CSRF token of this browser, whatever the link shows)."""
    return post_form(client, "/account/login", link, password=password,
                     confirm=password if confirm is None else confirm)


def member(email: str, store_id: int) -> StoreMembership | None:
    db.session.rollback()
    return db.session.scalar(select(StoreMembership).join(User).where(
        User.email == email, StoreMembership.store_id == store_id))


def users_named(email: str) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(User.id)).where(User.email == email))


def test_inviting_shows_no_password_and_mails_a_link(as_owner, store, mailbox):
    response = invite(as_owner, "New.Hire@Example.com")
    assert response.status_code == 303
    page = as_owner.get("/admin/staff").get_data(as_text=True)
    assert "Invitation sent to new.hire@example.com" in page
    assert 'class="secret"' not in page and "temporary password" not in page
    assert "new.hire@example.com" in page.split("Invitations waiting")[1]
    assert users_named("new.hire@example.com") == 0  # nobody's account is made for them
    [mail] = mailbox()
    assert mail["To"] == "new.hire@example.com" and "Store main" in mail["Subject"]
    link_in(mail)
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.actor, event.to_state, event.reason) == \
        ("staff_invited", "staff:owner@example.com", "staff", "new.hire@example.com")


def test_the_link_sets_the_password_once(clean_app, as_owner, store, mailbox):
    invite(as_owner, "new.hire@example.com")
    link = link_in(mailbox()[0])
    newcomer = clean_app.test_client()
    assert "Choose a password" in newcomer.get(link).get_data(as_text=True)
    response = accept(newcomer, link)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/"
    assert member("new.hire@example.com", store.id).role == Role.STAFF
    assert newcomer.get("/admin/orders").status_code == 200  # signed in, as staff
    assert newcomer.get("/admin/settings").status_code == 403
    assert login(clean_app.test_client(), "new.hire@example.com", CHOSEN).status_code == 303
    # Used once: the link now opens nothing, and cannot reset the password.
    again = accept(clean_app.test_client(), link, "an attacker's password")
    assert again.status_code == 400
    assert "already used" in again.get_data(as_text=True)
    assert authenticate(email="new.hire@example.com", password=CHOSEN) is not None
    assert "Invitations waiting" not in as_owner.get("/admin/staff").get_data(as_text=True)
    added = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "staff_added"))
    assert (added.actor, added.to_state, added.reason) == \
        ("staff:owner@example.com", "staff", "new.hire@example.com")


@pytest.mark.parametrize("password,confirm,message", [
    ("short", None, "Use at least 10 characters."),
    (CHOSEN, "something else entirely", "The two passwords are not the same."),
])
def test_a_refused_password_changes_nothing_and_the_link_still_works(
        clean_app, as_owner, store, mailbox, password, confirm, message):
    invite(as_owner, "new.hire@example.com")
    link = link_in(mailbox()[0])
    newcomer = clean_app.test_client()
    response = accept(newcomer, link, password, confirm)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert users_named("new.hire@example.com") == 0
    assert accept(newcomer, link).status_code == 303


def test_an_expired_link_is_refused(clean_app, as_owner, store, mailbox):
    invite(as_owner, "new.hire@example.com")
    link = link_in(mailbox()[0])
    db.session.execute(update(StaffInvite).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    newcomer = clean_app.test_client()
    assert newcomer.get(link).status_code == 400
    response = accept(newcomer, link)
    assert response.status_code == 400
    assert "This invitation has expired." in response.get_data(as_text=True)
    assert users_named("new.hire@example.com") == 0
    assert "expired" in as_owner.get("/admin/staff").get_data(as_text=True)


def test_a_made_up_link_is_refused(clean_app, store):
    response = clean_app.test_client().get("/account/invite/not-a-real-token")
    assert response.status_code == 400
    assert "This invitation link is not valid." in response.get_data(as_text=True)


def test_a_pending_invitation_grants_no_access(clean_app, as_owner, store, mailbox):
    shopper = make_user("shopper@example.com")
    as_shopper = signed_in(clean_app, shopper.email)
    invite(as_owner, "shopper@example.com", "owner")
    assert as_shopper.get("/admin/").status_code == 403
    assert as_shopper.get("/admin/settings").status_code == 403
    assert as_shopper.get("/api/payments").status_code == 403
    link = link_in(mailbox()[0])
    page = as_shopper.get(link).get_data(as_text=True)
    assert "Join Store main" in page and "Choose a password" not in page
    joined = as_shopper.post(link, data={"csrf_token": csrf_token(page)})
    assert joined.status_code == 303
    assert as_shopper.get("/admin/settings").status_code == 200  # an owner now
    assert authenticate(email="shopper@example.com", password=PASSWORD) is not None


def test_an_existing_account_joins_only_signed_in_as_itself(clean_app, as_owner, store,
                                                            mailbox):
    make_user("shopper@example.com")
    make_user("someone@example.com")
    invite(as_owner, "shopper@example.com")
    link = link_in(mailbox()[0])
    anonymous = clean_app.test_client()
    page = anonymous.get(link).get_data(as_text=True)
    assert "Sign in to accept" in page and "Choose a password" not in page
    # The link is no way to take over (or re-password) the account.
    assert accept(anonymous, link, "an attacker's password").status_code == 200
    assert authenticate(email="shopper@example.com", password=PASSWORD) is not None
    someone = signed_in(clean_app, "someone@example.com")
    assert someone.get(link).status_code == 403
    assert member("shopper@example.com", store.id) is None
    assert member("someone@example.com", store.id) is None
    as_shopper = clean_app.test_client()
    assert login(as_shopper, "shopper@example.com", PASSWORD, link).headers["Location"] == link


def test_revoking_kills_the_link(clean_app, as_owner, as_staff, store, mailbox):
    invite(as_owner, "new.hire@example.com")
    link = link_in(mailbox()[0])
    invite_id = db.session.scalar(select(StaffInvite.id))
    assert post(as_staff, f"/admin/staff/invites/{invite_id}/revoke").status_code == 403
    response = post(as_owner, f"/admin/staff/invites/{invite_id}/revoke")
    assert response.status_code == 303
    refused = accept(clean_app.test_client(), link)
    assert refused.status_code == 400
    assert "This invitation was withdrawn." in refused.get_data(as_text=True)
    assert users_named("new.hire@example.com") == 0
    assert post(as_owner, f"/admin/staff/invites/{invite_id}/revoke").status_code == 404
    revoked = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "staff_invite_revoked"))
    assert (revoked.actor, revoked.reason) == ("staff:owner@example.com",
                                               "new.hire@example.com")


def test_another_stores_invitation_cannot_be_revoked(clean_app, as_owner, other_store):
    other_owner = make_user("boss@example.com", store=other_store, role=Role.OWNER)
    invite(signed_in(clean_app, other_owner.email), "new.hire@example.com")
    invite_id = db.session.scalar(select(StaffInvite.id))
    assert post(as_owner, f"/admin/staff/invites/{invite_id}/revoke").status_code == 404
    db.session.rollback()
    assert db.session.get(StaffInvite, invite_id).revoked_at is None


def test_inviting_again_sends_a_new_link_and_kills_the_old(clean_app, as_owner, store,
                                                           mailbox):
    invite(as_owner, "new.hire@example.com")
    invite(as_owner, "new.hire@example.com", "owner")
    old, new = (link_in(m) for m in mailbox())
    assert accept(clean_app.test_client(), old).status_code == 400
    assert accept(clean_app.test_client(), new).status_code == 303
    assert member("new.hire@example.com", store.id).role == Role.OWNER
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["staff_invited", "staff_invite_revoked", "staff_invited",
                       "email_verified", "staff_added"]
