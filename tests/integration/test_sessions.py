"""Sessions end on the server: a session cookie copied before a logout, a password change
or a password reset no longer opens the account; "Sign out everywhere" ends every browser."""

from datetime import timedelta

import pytest
from flask_login.utils import encode_cookie
from sqlalchemy import func, select, update

from shop.extensions import db
from shop.models import LoginSession
from shop.models.types import utcnow
from shop.services.accounts.passwords import reset_token_for
from shop.services.accounts.users import authenticate

from ..factories import PASSWORD, make_user
from ..shopper import csrf_token, login, post_form

NEW_PASSWORD = "a brand new passphrase"  # noqa: S105 - test value


@pytest.fixture
def ada(store):
    return make_user("ada@example.com")


def signed_in_client(app, email: str = "ada@example.com", password: str = PASSWORD):
    client = app.test_client()
    assert login(client, email, password).status_code == 303
    return client


def replay(app, cookie: str):
    """Another browser (the thief's) presenting a copy of a session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/account/orders")


def refused(response) -> bool:
    return response.status_code == 302 and \
        response.headers["Location"].startswith("/account/login")


def logout(client):
    token = csrf_token(client.get("/").get_data(as_text=True))
    return client.post("/account/logout", data={"csrf_token": token})


def sessions_of(user_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(LoginSession.id))
                             .where(LoginSession.user_id == user_id))


def test_a_cookie_copied_before_logout_is_refused_after_it(clean_app, ada):
    client = signed_in_client(clean_app)
    copied = client.get_cookie("session").value
    assert replay(clean_app, copied).status_code == 200  # the copy works while signed in
    assert logout(client).status_code == 303
    assert refused(replay(clean_app, copied))
    assert refused(client.get("/account/orders"))
    assert sessions_of(ada.id) == 0


def test_logout_signs_out_this_browser_only(clean_app, ada):
    laptop, phone = signed_in_client(clean_app), signed_in_client(clean_app)
    assert sessions_of(ada.id) == 2
    logout(laptop)
    assert refused(laptop.get("/account/orders"))
    assert phone.get("/account/orders").status_code == 200
    assert sessions_of(ada.id) == 1


def change_password(client, current: str, new: str, confirm: str | None = None):
    return post_form(client, "/account/security", "/account/password", current=current,
                     password=new, confirm=new if confirm is None else confirm)


def test_a_password_change_ends_every_other_session_and_every_copy(clean_app, ada):
    client, phone = signed_in_client(clean_app), signed_in_client(clean_app)
    copied = client.get_cookie("session").value
    response = change_password(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/account/security"
    assert refused(replay(clean_app, copied))
    assert refused(phone.get("/account/orders"))
    # The browser that changed it carries on, on a new login session.
    assert client.get("/account/orders").status_code == 200
    assert client.get_cookie("session").value != copied
    assert sessions_of(ada.id) == 1
    assert authenticate(email="ada@example.com", password=NEW_PASSWORD) is not None


@pytest.mark.parametrize("current,new,confirm,status,message", [
    ("not my password", NEW_PASSWORD, None, 401, "That is not your current password."),
    (PASSWORD, "short", None, 400, "Use at least 10 characters."),
    (PASSWORD, NEW_PASSWORD, "something else entirely", 400,
     "The two passwords are not the same."),
])
def test_a_refused_password_change_changes_nothing(clean_app, ada, current, new, confirm,
                                                   status, message):
    client, phone = signed_in_client(clean_app), signed_in_client(clean_app)
    response = change_password(client, current, new, confirm)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert phone.get("/account/orders").status_code == 200
    assert client.get("/account/orders").status_code == 200
    assert authenticate(email="ada@example.com", password=PASSWORD) is not None


def test_a_password_reset_ends_every_session(clean_app, ada):
    client = signed_in_client(clean_app)
    copied = client.get_cookie("session").value
    link = f"/account/password/reset/{reset_token_for(ada)}"
    stranger = clean_app.test_client()
    response = post_form(stranger, link, link, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert response.status_code == 303
    assert refused(replay(clean_app, copied))
    assert refused(client.get("/account/orders"))
    assert sessions_of(ada.id) == 0


def test_sign_out_everywhere_ends_every_browser(clean_app, ada):
    laptop, phone = signed_in_client(clean_app), signed_in_client(clean_app)
    page = laptop.get("/account/security")
    assert "signed in on 2 browsers" in page.get_data(as_text=True)
    response = laptop.post("/account/sign-out-everywhere",
                           data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 303 and response.headers["Location"] == "/account/login"
    assert refused(phone.get("/account/orders"))
    assert refused(laptop.get("/account/orders"))
    assert sessions_of(ada.id) == 0


def test_sign_out_everywhere_needs_a_post_with_csrf(clean_app, ada):
    laptop, phone = signed_in_client(clean_app), signed_in_client(clean_app)
    assert laptop.get("/account/sign-out-everywhere").status_code == 405
    assert laptop.post("/account/sign-out-everywhere", data={}).status_code == 400
    assert phone.get("/account/orders").status_code == 200
    assert sessions_of(ada.id) == 2


def test_a_remember_me_cookie_signs_nobody_in(clean_app, ada):
    # The shop never sets one; a validly signed one (a leaked SECRET_KEY, a future bug) still
    # opens nothing without a live login session.
    client = clean_app.test_client()
    client.set_cookie("remember_token", encode_cookie(str(ada.id)))
    assert refused(client.get("/account/orders"))


def test_a_session_from_before_login_sessions_is_signed_out(clean_app, ada):
    client = clean_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(ada.id)  # what a cookie issued before this change holds
        session["_fresh"] = True
    assert refused(client.get("/account/orders"))


def test_last_seen_moves_after_an_hour_and_dead_rows_are_pruned(clean_app, ada):
    client = signed_in_client(clean_app)
    two_hours_ago, long_ago = utcnow() - timedelta(hours=2), utcnow() - timedelta(days=400)
    db.session.execute(update(LoginSession).values(last_seen_at=two_hours_ago))
    db.session.add(LoginSession(user_id=ada.id, token_hash="0" * 64, last_seen_at=long_ago))
    db.session.commit()
    assert client.get("/account/orders").status_code == 200
    db.session.rollback()
    seen = db.session.scalars(select(LoginSession.last_seen_at)
                              .where(LoginSession.token_hash != "0" * 64)).one()
    assert seen > utcnow() - timedelta(minutes=1)
    signed_in_client(clean_app)  # a new login prunes rows no cookie can name any more
    assert sessions_of(ada.id) == 2
