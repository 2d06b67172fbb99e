"""Guessable passwords are refused by every form that sets one, and the form says why."""

import gzip
import html
import tomllib

import pytest
from sqlalchemy import func, select

from shop import ROOT
from shop.domain.password_policy import check_password_strength, common_passwords
from shop.extensions import db
from shop.models import User
from shop.services.accounts.passwords import reset_token_for
from shop.services.accounts.users import WeakPassword, authenticate

from ..factories import PASSWORD, make_user
from ..shopper import post_form, register

COMMON = "This password is one of the most common ones"
BLANK = "A password cannot be only spaces."
EMAIL = "Do not use your e-mail address"
SHORT = "Use at least 10 characters."

WEAK = [
    pytest.param("1234567890", COMMON, id="digits"),
    pytest.param("Password123", COMMON, id="common-any-case"),
    pytest.param("  qwertyuiop  ", COMMON, id="common-padded"),
    pytest.param(" " * 10, BLANK, id="ten-spaces"),
    pytest.param("\t \u00a0" * 4, BLANK, id="whitespace"),
    pytest.param("   short   ", SHORT, id="padded-short"),
    pytest.param("gracehopper@example.com", EMAIL, id="the-email"),
    pytest.param("GraceHopper!2024", EMAIL, id="contains-local-part"),
]


def users() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(User.id)))


def page_says(response, message: str) -> bool:
    return message in html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("password,message", WEAK)
def test_register_refuses_a_guessable_password(client, store, mailbox, password, message):
    response = register(client, "gracehopper@example.com", password)
    assert response.status_code == 400
    assert page_says(response, message)
    assert users() == 0 and mailbox() == []


def choose(client, link: str, password: str):
    return post_form(client, link, link, password=password, confirm=password)


@pytest.mark.parametrize("password,message", WEAK)
def test_reset_refuses_a_guessable_password_and_keeps_the_link(client, store, password,
                                                               message):
    user = make_user("gracehopper@example.com")
    link = f"/account/password/reset/{reset_token_for(user)}"
    response = choose(client, link, password)
    assert response.status_code == 400
    assert page_says(response, message)
    assert authenticate(email="gracehopper@example.com", password=PASSWORD) is not None
    # Nothing was spent: the same link still sets a good password.
    assert choose(client, link, "a brand new passphrase").status_code == 303


@pytest.mark.parametrize("password,message", [("1234567890", COMMON),
                                              ("boss@example.com", EMAIL)])
def test_create_admin_refuses_a_guessable_password(clean_app, store, monkeypatch, password,
                                                   message):
    monkeypatch.setenv("SHOP_ADMIN_PASSWORD", password)
    result = clean_app.test_cli_runner().invoke(args=["shop", "create-admin",
                                                      "boss@example.com"])
    assert result.exit_code != 0 and message in result.output
    assert users() == 0


def test_the_form_tells_the_rules_before_anyone_types(client, store):
    page = html.unescape(client.get("/account/register").get_data(as_text=True))
    assert "not a common password, and not your e-mail address" in page


@pytest.mark.parametrize("password,email", [
    ("correct horse battery", "gracehopper@example.com"),
    ("ada likes long passphrases", "jo@example.com"),  # a 2-letter local part is no hint
])
def test_good_passphrases_pass(password, email):
    check_password_strength(password, email=email)


def test_checked_without_an_email_too():
    with pytest.raises(WeakPassword):
        check_password_strength("1234567890")


def test_the_common_list_ships_inside_the_package():
    data = ROOT / "shop" / "security_data" / "common-passwords.txt.gz"
    assert len(gzip.decompress(data.read_bytes()).splitlines()) >= 10_000
    assert len(common_passwords()) >= 10_000 and "1234567890" in common_passwords()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["shop.security_data"]
    assert "*.txt.gz" in package_data
    assert (ROOT / "shop" / "security_data" / "__init__.py").exists()
