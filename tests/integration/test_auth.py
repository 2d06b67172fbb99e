"""Signing in and out, safe ``next=`` redirects, and the create-admin command."""

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Role, StoreMembership, User
from shop.web import safe_next

from ..factories import PASSWORD, make_user
from ..shopper import csrf_token, login


def signed_in(client) -> bool:
    return "Sign out" in client.get("/").get_data(as_text=True)


def test_login_with_the_right_password_signs_in(client, store):
    make_user("ada@example.com")
    response = login(client, "ADA@example.com ", PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert signed_in(client)
    assert db.session.scalar(select(User.last_login_at)) is not None


@pytest.mark.parametrize("email,password", [
    ("ada@example.com", "wrong password!"),
    ("nobody@example.com", PASSWORD),
])
def test_wrong_credentials_get_one_message_for_both_cases(client, store, email, password):
    make_user("ada@example.com")
    response = login(client, email, password)
    assert response.status_code == 401
    assert "That email and password do not match an account." in response.get_data(as_text=True)
    assert not signed_in(client)


def test_disabled_account_cannot_sign_in(client, store):
    user = make_user("ada@example.com")
    user.disabled = True
    db.session.commit()
    assert login(client, "ada@example.com", PASSWORD).status_code == 401


def test_empty_form_shows_field_errors(client, store):
    page = client.get("/account/login")
    response = client.post("/account/login", data={
        "csrf_token": csrf_token(page.get_data(as_text=True))})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter your email address." in body and "Enter your password." in body


def test_login_without_csrf_is_refused(client, store):
    make_user("ada@example.com")
    response = client.post("/account/login", data={"email": "ada@example.com",
                                                   "password": PASSWORD})
    assert response.status_code == 400
    assert not signed_in(client)


def test_login_starts_a_new_session_but_keeps_the_cart(client, store, product):
    from ..shopper import Shopper

    make_user("ada@example.com")
    Shopper(client).add(product, 2)
    before = client.get_cookie("session").value
    login(client, "ada@example.com", PASSWORD)
    assert client.get_cookie("session").value != before
    assert "Kenya Nyeri" in client.get("/cart").get_data(as_text=True)


def test_logout_needs_a_post_with_csrf(client, store):
    make_user("ada@example.com")
    login(client, "ada@example.com", PASSWORD)
    assert client.get("/account/logout").status_code == 405
    client.post("/account/logout", data={})
    assert signed_in(client)
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post("/account/logout", data={"csrf_token": token}).status_code == 303
    assert not signed_in(client)


@pytest.mark.parametrize("target,expected", [
    ("/cart", "/cart"),
    ("/orders/abc?x=1", "/orders/abc?x=1"),
    ("https://evil.example/", None),
    ("//evil.example/", None),
    ("/\\evil.example", None),
    ("javascript:alert(1)", None),
    ("", None),
])
def test_safe_next(target, expected):
    assert safe_next(target) == expected


def test_next_is_followed_on_site_and_ignored_off_site(client, store):
    make_user("ada@example.com")
    assert login(client, "ada@example.com", PASSWORD, "/cart").headers["Location"] == "/cart"
    other = client.application.test_client()
    response = login(other, "ada@example.com", PASSWORD, "https://evil.example/")
    assert response.headers["Location"] == "/"


def test_create_admin_makes_an_owner(clean_app, store, monkeypatch):
    monkeypatch.setenv("SHOP_ADMIN_PASSWORD", "a long enough password")
    result = clean_app.test_cli_runner().invoke(args=["shop", "create-admin", "Boss@Example.com"])
    assert result.exit_code == 0, result.output
    membership = db.session.scalar(select(StoreMembership))
    assert (membership.user.email, membership.role, membership.store_id) == \
        ("boss@example.com", Role.OWNER, store.id)
    again = clean_app.test_cli_runner().invoke(args=["shop", "create-admin", "boss@example.com"])
    assert again.exit_code == 0
    assert db.session.scalar(select(func.count(StoreMembership.id))) == 1


@pytest.mark.parametrize("email,password,message", [
    ("not-an-email", "a long enough password", "is not a valid e-mail address"),
    ("boss@example.com", "short", "at least 10 characters"),
])
def test_create_admin_refuses_bad_input(clean_app, store, monkeypatch, email, password, message):
    monkeypatch.setenv("SHOP_ADMIN_PASSWORD", password)
    result = clean_app.test_cli_runner().invoke(args=["shop", "create-admin", email])
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0
