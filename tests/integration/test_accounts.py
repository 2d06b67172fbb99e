"""Registering and resetting a password through the real forms; bad input changes nothing."""

import re
import time

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import User
from shop.services.accounts.passwords import reset_token_for
from shop.services.accounts.users import authenticate

from ..factories import PASSWORD, make_user
from ..shopper import csrf_token, login, outbox, post_form, register
from ..statements import recorded_statements

NEW_PASSWORD = "a brand new passphrase"  # noqa: S105 - test value


def signed_in(client) -> bool:
    return "Sign out" in client.get("/").get_data(as_text=True)


def users() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(User.id)))


def test_register_creates_the_account_and_sends_a_welcome(client, store, mailbox):
    response = register(client, " Grace@Example.com", "a long enough password", "Grace Hopper")
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    assert not signed_in(client)  # signing in is what proves the password, as for anyone
    user = db.session.scalar(select(User))
    assert (user.email, user.name) == ("grace@example.com", "Grace Hopper")
    [mail] = mailbox()
    assert mail["To"] == "grace@example.com" and "Welcome" in mail["Subject"]
    assert "http://127.0.0.1:5000/account/login" in mail.get_content()  # BASE_URL
    assert login(client, "grace@example.com", "a long enough password").status_code == 303


def same_page(html: str) -> str:
    """A page without what differs between any two requests: its CSRF token."""
    return re.sub(r'(name="csrf_token"[^>]*value=|content=)"[^"]*"', "", html)


def test_register_answers_the_same_whether_or_not_the_address_has_an_account(
        clean_app, store, mailbox):
    make_user("ada@example.com")
    answers = {}
    for email in ("ada@example.com", "new@example.com"):
        client = clean_app.test_client()
        response = register(client, email, "somebody else's password", "Mallory")
        answers[email] = (response.status_code,
                          same_page(response.get_data(as_text=True)).replace(email, "EMAIL"))
        assert not signed_in(client)
    assert answers["ada@example.com"] == answers["new@example.com"]
    assert answers["ada@example.com"][0] == 200
    assert users() == 2
    # The owner is told, with the ways in that work; nothing about the account changed.
    told, welcome = mailbox()
    assert told["To"] == "ada@example.com" and "tried to create" in told["Subject"]
    text = told.get_content()
    assert "http://127.0.0.1:5000/account/login" in text
    assert "http://127.0.0.1:5000/account/password/forgot" in text
    assert welcome["To"] == "new@example.com"
    assert authenticate(email="ada@example.com", password=PASSWORD) is not None
    assert authenticate(email="ada@example.com", password="somebody else's password") is None


@pytest.mark.parametrize("email,password,confirm,message", [
    ("new@example.com", "short", None, "Use at least 10 characters."),
    ("new@example.com", "a long enough password", "another long password",
     "The two passwords are not the same."),
    ("not-an-email", "a long enough password", None,
     "Enter an email address like name@example.com."),
    ("", "", None, "Enter your email address."),
])
def test_register_refuses_bad_input_and_changes_nothing(client, store, mailbox, email,
                                                        password, confirm, message):
    make_user("ada@example.com")
    response = register(client, email, password, confirm=confirm)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert users() == 1
    assert not signed_in(client)
    assert mailbox() == []


def statements_while_answering(client, url: str, **form) -> tuple[object, list[str], list]:
    """POST ``form`` without closing the response (work deferred until it is sent has not
    run yet); returns it, the SQL statements the answer took, and the mail sent by then."""
    page = client.get(url)
    with recorded_statements(control=True) as sent:
        response = client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                          **form}, buffered=False)
    return response, sent, outbox(client.application)


@pytest.mark.parametrize("url,form", [
    ("/account/register", {"name": "Mallory", "password": "a long enough password",
                           "confirm": "a long enough password"}),
    ("/account/password/forgot", {}),
])
def test_the_account_is_looked_up_only_after_the_answer_is_sent(clean_app, store, mailbox,
                                                                 url, form):
    make_user("ada@example.com")
    work = {}
    for email in ("ada@example.com", "nobody@example.com"):
        before = len(mailbox())
        response, sent, mail = statements_while_answering(clean_app.test_client(), url,
                                                          email=email, **form)
        assert response.status_code == 200 and len(mail) == before
        assert not [s for s in sent if "users" in s]
        work[email] = len(sent)
        response.close()  # the server has sent it: now the deferred work runs
    assert work["ada@example.com"] == work["nobody@example.com"]
    assert [m["To"] for m in mailbox()] == ["ada@example.com"] + (
        ["nobody@example.com"] if url == "/account/register" else [])


def test_registration_needs_csrf(client, store):
    response = client.post("/account/register", data={
        "name": "X", "email": "x@example.com", "password": "a long enough password",
        "confirm": "a long enough password"})
    assert response.status_code == 400
    assert users() == 0


def reset_link(mail) -> str:
    match = re.search(r"http://[^/\s]+(/account/password/reset/\S+)", mail.get_content())
    assert match, mail.get_content()
    return match.group(1)


def ask_reset(client, email):
    return post_form(client, "/account/password/forgot", "/account/password/forgot",
                     email=email)


def choose(client, link, password, confirm=None):
    return post_form(client, link, link, password=password,
                     confirm=password if confirm is None else confirm)


def test_password_reset_by_emailed_link(client, store, mailbox):
    make_user("ada@example.com")
    response = ask_reset(client, "ADA@example.com")
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    [mail] = mailbox()
    link = reset_link(mail)
    assert client.get(link).status_code == 200
    response = choose(client, link, NEW_PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/account/login"
    assert authenticate(email="ada@example.com", password=NEW_PASSWORD) is not None
    assert authenticate(email="ada@example.com", password=PASSWORD) is None
    assert login(client, "ada@example.com", NEW_PASSWORD).status_code == 303


def test_unknown_email_gets_the_same_answer_and_no_mail(client, store, mailbox):
    make_user("ada@example.com")
    known = ask_reset(client, "ada@example.com").get_data(as_text=True)
    unknown = ask_reset(client, "nobody@example.com").get_data(as_text=True)
    assert len(mailbox()) == 1
    strip = lambda html: re.sub(r'value="[^"]*"|\S+@example\.com', "", html)  # noqa: E731
    assert strip(known) == strip(unknown)


def test_a_used_reset_link_cannot_be_used_again(client, store, mailbox):
    make_user("ada@example.com")
    ask_reset(client, "ada@example.com")
    link = reset_link(mailbox()[0])
    assert choose(client, link, NEW_PASSWORD).status_code == 303
    again = choose(client, link, "yet another long passphrase")
    assert again.status_code == 400
    assert "already used" in again.get_data(as_text=True)
    assert client.get(link).status_code == 400
    assert authenticate(email="ada@example.com", password=NEW_PASSWORD) is not None


def test_an_expired_reset_link_is_refused(client, store, clean_app, monkeypatch):
    user = make_user("ada@example.com")
    token = reset_token_for(user)
    clean_app.config["PASSWORD_RESET_MAX_AGE_SECONDS"] = 60
    real_time = time.time
    # itsdangerous reads the clock through time.time: two minutes later the link is stale.
    monkeypatch.setattr(time, "time", lambda: real_time() + 120)
    try:
        response = choose(client, f"/account/password/reset/{token}", NEW_PASSWORD)
    finally:
        clean_app.config["PASSWORD_RESET_MAX_AGE_SECONDS"] = 3600
    assert response.status_code == 400
    assert "This reset link has expired." in response.get_data(as_text=True)
    assert authenticate(email="ada@example.com", password=PASSWORD) is not None


@pytest.mark.parametrize("token", ["not-a-token", "eyJ1aWQiOjF9.forged.signature"])
def test_a_forged_reset_link_is_refused(client, store, token):
    make_user("ada@example.com")
    response = client.get(f"/account/password/reset/{token}")
    assert response.status_code == 400
    assert "This reset link is not valid." in response.get_data(as_text=True)


@pytest.mark.parametrize("password,confirm,message", [
    ("short", None, "Use at least 10 characters."),
    (NEW_PASSWORD, "something else entirely", "The two passwords are not the same."),
])
def test_reset_refuses_a_weak_or_mismatched_password(client, store, password, confirm,
                                                     message):
    user = make_user("ada@example.com")
    link = f"/account/password/reset/{reset_token_for(user)}"
    response = choose(client, link, password, confirm)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert authenticate(email="ada@example.com", password=PASSWORD) is not None
    assert choose(client, link, NEW_PASSWORD).status_code == 303  # the link still works


def test_login_page_links_to_reset_and_register(client, store):
    html = client.get("/account/login").get_data(as_text=True)
    assert 'href="/account/password/forgot"' in html and 'href="/account/register"' in html
    assert csrf_token(html)
