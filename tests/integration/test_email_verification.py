"""E-mail verification by the link in the welcome e-mail, and the guest orders a verified
address claims: at verification, and at each sign-in after it. Unverified accounts claim
nothing, so registering somebody else's address shows none of their orders."""

import re
import time

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select, text

from shop import create_app
from shop.extensions import db
from shop.models import AuditEvent, Order, User
from shop.models.types import utcnow
from shop.services.accounts.passwords import reset_token_for
from shop.services.accounts.signed import fingerprint
from shop.services.accounts.verification import verify_token_for

from ..conftest import app_config, build_schema
from ..factories import PASSWORD, make_order, make_product, make_store, make_user
from ..shopper import login, post_form, register
from .test_accounts import same_page

CHOSEN = "a long enough password"  # noqa: S105 - test value
BANNER = "Verify your e-mail to see your earlier orders"


def verify_link(mail, base: str) -> str:
    """The path of the verification link in ``mail``, which must be on BASE_URL."""
    match = re.search(r"(https?://\S+)(/account/verify/\S+)", mail.get_content())
    assert match, mail.get_content()
    assert match.group(1) == base
    return match.group(2)


def owners(*orders: Order) -> list[int | None]:
    db.session.rollback()
    return [db.session.get(Order, order.id).user_id for order in orders]


def user(email: str) -> User:
    db.session.rollback()
    return db.session.scalar(select(User).where(User.email == email))


def claims() -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "orders_claimed").order_by(AuditEvent.id)))


@pytest.fixture
def elsewhere(clean_app):
    other = make_store("other")
    return other, make_product(other, name="Other Beans", price=2200)


def test_the_welcome_link_verifies_and_claims_this_stores_guest_orders(
        client, store, product, elsewhere, mailbox):
    other_store, other_product = elsewhere
    first = make_order(store, product, email="grace@example.com")
    second = make_order(store, product, email="grace@example.com")
    not_hers = make_order(store, product, email="gracie@example.com")
    other_shop = make_order(other_store, other_product, email="grace@example.com")
    someone = make_user("someone@example.com")
    owned = make_order(store, product, user=someone, email="grace@example.com")

    assert register(client, " Grace@Example.com", CHOSEN, "Grace Hopper").status_code == 200
    [welcome] = mailbox()
    assert welcome["To"] == "grace@example.com"
    link = verify_link(welcome, client.application.config["BASE_URL"])
    assert "works for 3 days" in welcome.get_content()
    grace = user("grace@example.com")
    assert grace.email_verified_at is None
    assert owners(first, second) == [None, None]  # signing up alone claims nothing

    page = client.get(link)
    assert page.status_code == 200
    assert "2 orders you placed as a guest with it are now in your account" in \
        page.get_data(as_text=True)
    grace = user("grace@example.com")
    assert grace.email_verified_at is not None
    assert owners(first, second) == [grace.id, grace.id]
    assert owners(not_hers, other_shop, owned) == [None, None, someone.id]
    [claim] = claims()
    assert (claim.store_id, claim.entity_type, claim.entity_id, claim.actor) == \
        (store.id, "user", grace.id, "shopper:grace@example.com")
    assert claim.reason == f"orders claimed: 2 ({first.number}, {second.number})"

    assert login(client, "grace@example.com", CHOSEN).status_code == 303
    history = client.get("/account/orders").get_data(as_text=True)
    assert f"Order {first.number}" in history and f"Order {second.number}" in history
    for order in (not_hers, other_shop, owned):
        assert f"Order {order.number}" not in history
    assert BANNER not in history
    assert client.get(f"/account/orders/{first.id}").status_code == 200

    # Following the link again is harmless: nothing more to claim, nothing changes.
    verified_at = grace.email_verified_at
    again = client.get(link)
    assert again.status_code == 200
    assert "now in your account" not in again.get_data(as_text=True)
    assert user("grace@example.com").email_verified_at == verified_at
    assert len(claims()) == 1


def test_someone_who_registers_anothers_address_sees_none_of_their_orders(
        clean_app, store, product, mailbox):
    victim_order = make_order(store, product, email="victim@example.com")
    attacker = clean_app.test_client()
    assert register(attacker, "victim@example.com", CHOSEN, "Mallory").status_code == 200
    # The link goes to the victim's mailbox, never to the attacker.
    assert [mail["To"] for mail in mailbox()] == ["victim@example.com"]
    assert login(attacker, "victim@example.com", CHOSEN).status_code == 303  # not blocked
    history = attacker.get("/account/orders")
    assert history.status_code == 200
    html = history.get_data(as_text=True)
    assert BANNER in html and "You have no orders yet." in html
    assert f"Order {victim_order.number}" not in html
    assert attacker.get(f"/account/orders/{victim_order.id}").status_code == 404
    # Signing in again does not claim either, and the victim's order stays a guest's.
    assert login(clean_app.test_client(), "victim@example.com", CHOSEN).status_code == 303
    assert owners(victim_order) == [None]
    assert claims() == []


def test_a_verified_account_claims_later_guest_orders_at_sign_in(client, store, product,
                                                                 mailbox):
    register(client, "grace@example.com", CHOSEN)
    assert client.get(verify_link(mailbox()[0], client.application.config["BASE_URL"])) \
        .status_code == 200
    assert claims() == []  # nothing placed before: no audit row for nothing
    later = make_order(store, product, email="grace@example.com")  # a guest, signed out
    response = login(client, "grace@example.com", CHOSEN)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 order you placed as a guest is now in your account." in page
    assert owners(later) == [user("grace@example.com").id]
    assert f"Order {later.number}" in client.get("/account/orders").get_data(as_text=True)
    [claim] = claims()
    assert claim.reason == f"orders claimed: 1 ({later.number})"
    # The next sign-in finds nothing new and writes nothing.
    assert login(client.application.test_client(), "grace@example.com", CHOSEN) \
        .status_code == 303
    assert len(claims()) == 1


def expired(clean_app, monkeypatch, token: str) -> str:
    real_time = time.time
    # itsdangerous reads the clock through time.time: 3 days and a minute later.
    monkeypatch.setattr(time, "time", lambda: real_time() + 3 * 86400 + 60)
    return token


REFUSED = {
    "tampered": lambda grace: (lambda t: t[:-10] + ("x" if t[-10] != "x" else "y") + t[-9:])(
        verify_token_for(grace)),
    "forged": lambda grace: URLSafeTimedSerializer("guessed-secret", salt="email-verify").dumps(
        {"uid": grace.id, "em": fingerprint(grace.email)}),
    "reset token": reset_token_for,
    "not a token": lambda grace: "not-a-token",
}


@pytest.mark.parametrize("kind", [*REFUSED, "expired", "old address"])
def test_a_bad_link_is_refused_with_a_way_to_get_a_new_one(clean_app, client, store, product,
                                                           monkeypatch, kind):
    grace = make_user("grace@example.com")
    order = make_order(store, product, email="grace@example.com")
    if kind == "expired":
        token = expired(clean_app, monkeypatch, verify_token_for(grace))
    elif kind == "old address":
        token = verify_token_for(grace)
        # The account's address changed after the link was mailed: the link was proof of
        # the old address only, so it verifies nothing now.
        grace.email = "grace.new@example.com"
        db.session.commit()
        make_order(store, product, email="grace.new@example.com")
    else:
        token = REFUSED[kind](grace)
    response = client.get(f"/account/verify/{token}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert ("has expired" if kind == "expired" else "is not valid") in html
    assert 'action="/account/verify"' in html and "Send a new link" in html
    assert db.session.get(User, grace.id).email_verified_at is None
    assert owners(order) == [None]
    assert db.session.scalar(select(Order.id).where(Order.user_id.is_not(None))) is None
    assert db.session.scalar(select(AuditEvent.id)) is None


def test_a_verification_link_does_not_reset_the_password(client, store):
    grace = make_user("grace@example.com")
    response = client.get(f"/account/password/reset/{verify_token_for(grace)}")
    assert response.status_code == 400
    assert "This reset link is not valid." in response.get_data(as_text=True)


def test_the_banner_sends_a_new_link_that_works(client, store, product, mailbox):
    make_user("grace@example.com")
    order = make_order(store, product, email="grace@example.com")
    login(client, "grace@example.com", PASSWORD)
    assert BANNER in client.get("/account/orders").get_data(as_text=True)
    response = post_form(client, "/account/orders", "/account/verify",
                         email="grace@example.com")
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    [mail] = mailbox()
    assert mail["To"] == "grace@example.com" and "Verify" in mail["Subject"]
    assert client.get(verify_link(mail, client.application.config["BASE_URL"])).status_code \
        == 200
    assert owners(order) == [user("grace@example.com").id]
    history = client.get("/account/orders").get_data(as_text=True)
    assert BANNER not in history and f"Order {order.number}" in history


def ask(client, email: str):
    return post_form(client, "/account/verify", "/account/verify", email=email)


def test_asking_for_a_link_answers_the_same_whatever_the_address(clean_app, store, mailbox):
    make_user("waiting@example.com")
    done = make_user("done@example.com")
    db.session.get(User, done.id).email_verified_at = utcnow()
    db.session.commit()
    answers = {}
    for email in ("waiting@example.com", "done@example.com", "nobody@example.com"):
        response = ask(clean_app.test_client(), email)
        answers[email] = (response.status_code,
                          same_page(response.get_data(as_text=True)).replace(email, "EMAIL"))
    assert len(set(answers.values())) == 1
    assert answers["nobody@example.com"][0] == 200
    assert [mail["To"] for mail in mailbox()] == ["waiting@example.com"]


def test_asking_for_a_link_refuses_a_bad_address_and_sends_nothing(client, store, mailbox):
    make_user("grace@example.com")
    response = ask(client, "not-an-email")
    assert response.status_code == 400
    assert "Enter an email address like name@example.com." in response.get_data(as_text=True)
    assert mailbox() == []


def test_asking_for_links_is_limited_per_email(clean_app, store, mailbox, limits):
    make_user("grace@example.com")
    limits(RATELIMIT_VERIFY_PER_EMAIL="2 per hour")
    browser = clean_app.test_client()
    assert [ask(browser, "Grace@example.com").status_code for _ in range(3)] == [200, 200, 429]
    refused = ask(browser, "grace@example.com")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many requests" in refused.get_data(as_text=True)
    assert len(mailbox()) == 2  # the refused asks sent nothing
    assert ask(browser, "someone@example.com").status_code == 200  # another address


def test_asking_for_links_is_limited_per_connection(clean_app, store, mailbox, limits):
    make_user("n2@example.com")
    limits(RATELIMIT_VERIFY_PER_IP="2 per hour")
    browser = clean_app.test_client()
    assert [ask(browser, f"n{i}@example.com").status_code for i in range(4)] == \
        [200, 200, 429, 429]
    assert mailbox() == []  # n2 was refused: nothing was looked up or sent


def test_owners_the_operator_makes_are_verified_and_shoppers_are_not(
        clean_app, store, monkeypatch):
    monkeypatch.setenv("SHOP_ADMIN_PASSWORD", CHOSEN)
    result = clean_app.test_cli_runner().invoke(args=["shop", "create-admin", "boss@example.com"])
    assert result.exit_code == 0, result.output
    assert user("boss@example.com").email_verified_at is not None
    assert make_user("shopper@example.com").email_verified_at is None


def test_the_migration_verifies_existing_store_members_but_not_shoppers(tmp_path):
    from flask_migrate import downgrade, upgrade

    app = create_app(app_config(f"sqlite:///{tmp_path}/before.db", "http://127.0.0.1:9",
                                tmp_path))
    build_schema(app)
    with app.app_context():
        downgrade(revision="0015_catalog_dates")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO stores (id, slug, name, currency) "
                              "VALUES (1, 'main', 'Main', 'USD')"))
            for uid, email in ((1, "owner@example.com"), (2, "shopper@example.com")):
                conn.execute(text(
                    "INSERT INTO users (id, email, password_hash, name, disabled, "
                    "is_platform_admin, created_at) VALUES (:id, :email, 'x', '', false, "
                    "false, CURRENT_TIMESTAMP)"), {"id": uid, "email": email})
            conn.execute(text("INSERT INTO store_memberships (user_id, store_id, role, "
                              "created_at) VALUES (1, 1, 'owner', CURRENT_TIMESTAMP)"))
        upgrade()
        verified = {u.email: u.email_verified_at for u in db.session.scalars(select(User))}
        db.session.remove()
    assert verified["owner@example.com"] is not None
    assert verified["shopper@example.com"] is None
