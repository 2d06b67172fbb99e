"""Rate limits per address, session and account, the card-testing guard, 429s that say when
to come back, Redis storage, and failing open when Redis is down."""

import logging
import re
import time

import pytest
import stripe
from redis import Redis
from sqlalchemy import func, select

from shop import create_app
from shop.errors import wants_json
from shop.extensions import db, limiter
from shop.models import Order
from shop.ratelimit import ROUTE_LIMITS

from ..conftest import IsolatedClient, app_config, wipe
from ..factories import PASSWORD, make_product, make_store, make_user
from ..services import free_port
from ..shopper import CARD_DECLINED, Shopper, intent_id_from_secret, login, post_form


def other_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return Shopper(client)


def test_every_limited_endpoint_exists(app):
    assert set(ROUTE_LIMITS) <= set(app.view_functions)


def test_checkout_per_session(clean_app, limits, product):
    limits(RATELIMIT_CHECKOUT_PER_SESSION="2 per minute")
    shopper = Shopper(clean_app.test_client())
    shopper.add(product)
    form = shopper.checkout_form()
    assert [shopper.submit_checkout(form).status_code for _ in range(2)] == [303, 303]
    refused = shopper.submit_checkout(form)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 61
    text = refused.get_data(as_text=True)
    assert "Too many requests" in text and "try again in" in text
    other = other_address(clean_app, "10.0.0.2")  # same address would be fine too
    other.add(product)
    assert other.submit_checkout(other.checkout_form()).status_code == 303


def test_checkout_per_address(clean_app, limits, product):
    limits(RATELIMIT_CHECKOUT_PER_IP="2 per minute")
    results = []
    for _ in range(3):
        shopper = other_address(clean_app, "10.0.0.7")
        shopper.add(product)
        results.append(shopper.submit_checkout(shopper.checkout_form()).status_code)
    assert results == [303, 303, 429]
    elsewhere = other_address(clean_app, "10.0.0.8")
    elsewhere.add(product)
    assert elsewhere.submit_checkout(elsewhere.checkout_form()).status_code == 303
    db.session.rollback()
    assert db.session.scalar(select(func.count(Order.id))) == 3


def test_payment_page_per_session_and_address(clean_app, limits, product):
    limits(RATELIMIT_PAYMENT_PER_SESSION="2 per minute", RATELIMIT_PAYMENT_PER_IP="4 per minute")
    shopper = other_address(clean_app, "10.0.1.1")
    shopper.add(product)
    token = shopper.checkout()
    pay = f"/orders/{token}/pay"
    assert [shopper.client.get(pay).status_code for _ in range(3)] == [200, 200, 429]
    second = other_address(clean_app, "10.0.1.1")
    second.add(product)
    other_token = second.checkout()
    assert second.client.get(f"/orders/{other_token}/pay").status_code == 200
    # A refused request counts too: this is the address's fifth.
    assert second.client.get(f"/orders/{other_token}/pay").status_code == 429


def test_json_429_has_the_stable_code(clean_app, limits, product):
    limits(RATELIMIT_CHECKOUT_PER_SESSION="1 per minute")
    shopper = Shopper(clean_app.test_client())
    shopper.add(product)
    form = shopper.checkout_form()
    shopper.submit_checkout(form)
    refused = shopper.client.post("/checkout", data=form,
                                  headers={"Accept": "application/json"})
    assert refused.status_code == 429
    error = refused.get_json()["error"]
    assert error["code"] == "rate_limited"
    assert 0 < error["retry_after"] <= 61 and "try again in" in error["message"]


def test_api_paths_always_get_json(clean_app):
    with clean_app.test_request_context("/api/orders/1/capture", method="POST"):
        assert wants_json()
    with clean_app.test_request_context("/checkout", method="POST"):
        assert not wants_json()


def test_login_per_address_counts_failures_only(clean_app, limits, store):
    limits(RATELIMIT_LOGIN_PER_IP="3 per minute")
    make_user("ada@example.com")
    client = clean_app.test_client()
    for _ in range(5):
        assert client.get("/account/login").status_code == 200
    for _ in range(4):  # successes do not count
        assert login(clean_app.test_client(), "ada@example.com", PASSWORD).status_code == 303
    statuses = [login(client, f"u{i}@example.com", "wrong password").status_code
                for i in range(4)]
    assert statuses == [401, 401, 401, 429]
    elsewhere = other_address(clean_app, "10.0.2.2").client
    assert login(elsewhere, "u9@example.com", "wrong password").status_code == 401


def guess(client, email="ada@example.com", password="a wrong guess"):
    return login(client, email, password)


def test_a_guesser_is_throttled_not_the_owner(clean_app, limits, store):
    limits(RATELIMIT_LOGIN_PER_ACCOUNT="2 per minute;3 per hour")
    make_user("ada@example.com")
    make_user("bob@example.com")
    attacker = other_address(clean_app, "10.4.4.4").client
    assert [guess(attacker).status_code, guess(attacker).status_code] == [401, 401]
    refused = guess(attacker, password=PASSWORD)  # the right password, from the guesser
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "Too many wrong passwords" in refused.get_data(as_text=True)
    # The owner, from an address that has not failed, gets in at once; so does the
    # guesser's address with another account it has not failed on.
    owner = other_address(clean_app, "10.5.5.5").client
    assert guess(owner, password=PASSWORD).status_code == 303
    assert guess(attacker, "bob@example.com", PASSWORD).status_code == 303


def test_the_wait_grows_with_the_failures(clean_app, limits, store, monkeypatch):
    limits(RATELIMIT_LOGIN_PER_ACCOUNT="2 per minute;3 per hour")
    make_user("ada@example.com")
    attacker = other_address(clean_app, "10.4.4.5").client
    assert [guess(attacker).status_code for _ in range(3)] == [401, 401, 429]
    first_wait = int(guess(attacker).headers["Retry-After"])
    real_time = time.time
    # The limits' memory storage reads the clock through time.time: a minute passes.
    monkeypatch.setattr(time, "time", lambda: real_time() + 61)
    assert guess(attacker).status_code == 401  # the third failure of the hour
    second = guess(attacker)
    assert second.status_code == 429
    assert first_wait <= 60 < int(second.headers["Retry-After"]) <= 3600


def test_password_reset_works_while_sign_in_is_throttled(clean_app, limits, store, mailbox):
    limits(RATELIMIT_LOGIN_PER_ACCOUNT="1 per minute", RATELIMIT_LOGIN_PER_IP="1 per minute")
    make_user("ada@example.com")
    shared = other_address(clean_app, "10.4.4.6").client  # the guesser's address, say an office
    assert guess(shared).status_code == 401
    assert guess(shared, password=PASSWORD).status_code == 429
    asked = post_form(shared, "/account/password/forgot", "/account/password/forgot",
                      email="ada@example.com")
    assert asked.status_code == 200
    link = re.search(r"http://[^/\s]+(/account/password/reset/\S+)",
                     mailbox()[0].get_content()).group(1)
    chosen = post_form(shared, link, link, password="a brand new passphrase",
                       confirm="a brand new passphrase")
    assert chosen.status_code == 303
    owner = other_address(clean_app, "10.4.4.7").client
    assert guess(owner, password="a brand new passphrase").status_code == 303


def test_a_borrowed_session_cannot_guess_the_current_password(clean_app, limits, store):
    limits(RATELIMIT_LOGIN_PER_ACCOUNT="2 per minute")
    make_user("ada@example.com")
    client = other_address(clean_app, "10.4.4.8").client
    assert login(client, "ada@example.com", PASSWORD).status_code == 303

    def change(current):
        return post_form(client, "/account/security", "/account/password", current=current,
                         password="a brand new passphrase", confirm="a brand new passphrase")

    assert [change("guess one!").status_code, change("guess two!").status_code] == [401, 401]
    assert change(PASSWORD).status_code == 429


SIGN_UP = {"name": "Mallory", "password": "a long enough password",
           "confirm": "a long enough password"}
MAILING_FORMS = {"register": ("/account/register", SIGN_UP),
                 "reset": ("/account/password/forgot", {})}


def ask(app, address: str, kind: str, email: str):
    url, form = MAILING_FORMS[kind]
    return post_form(other_address(app, address).client, url, url, email=email, **form)


@pytest.mark.parametrize("kind", ["register", "reset"])
def test_mail_sending_forms_are_limited_per_email(clean_app, limits, store, mailbox, kind):
    limits(**{f"RATELIMIT_{kind.upper()}_PER_EMAIL": "2 per hour"})
    make_user("ada@example.com")
    for email in ("ada@example.com", "nobody@example.com"):  # the same, account or not
        statuses = [ask(clean_app, f"10.7.0.{i}", kind, email).status_code for i in range(3)]
        assert statuses == [200, 200, 429]
    refused = ask(clean_app, "10.7.0.9", kind, "ADA@example.com ")
    assert refused.status_code == 429 and 60 < int(refused.headers["Retry-After"]) <= 3600
    assert "try again in" in refused.get_data(as_text=True)
    assert ask(clean_app, "10.7.0.9", kind, "other@example.com").status_code == 200
    assert sum(m["To"] == "ada@example.com" for m in mailbox()) == 2


@pytest.mark.parametrize("kind", ["register", "reset"])
def test_mail_sending_forms_are_limited_per_address(clean_app, limits, store, mailbox, kind):
    limits(**{f"RATELIMIT_{kind.upper()}_PER_IP": "2 per hour"})
    statuses = [ask(clean_app, "10.8.0.1", kind, f"u{i}@example.com").status_code
                for i in range(3)]
    assert statuses == [200, 200, 429]
    assert ask(clean_app, "10.8.0.2", kind, "u9@example.com").status_code == 200


def decline(shopper, browser, token):
    secret = shopper.client_secret(token)
    with pytest.raises(stripe.CardError):
        browser.confirm(secret, CARD_DECLINED)
    # Back on our site: settling records the failure (the webhook would do the same).
    shopper.return_from_stripe(token, intent_id_from_secret(secret))


def test_card_testing_guard_per_session(clean_app, limits, product, browser):
    limits(CARD_TESTING_PER_SESSION="2 per hour")
    shopper = Shopper(clean_app.test_client())
    shopper.add(product)
    token = shopper.checkout()
    decline(shopper, browser, token)
    decline(shopper, browser, token)
    page = shopper.client.get(f"/orders/{token}/pay")
    assert page.status_code == 429
    assert 60 < int(page.headers["Retry-After"]) <= 3600
    assert "were declined" in page.get_data(as_text=True)
    form = shopper.checkout_form()
    assert shopper.submit_checkout(form).status_code == 429  # no new intent either
    other = other_address(clean_app, "10.9.9.9")
    other.add(product)
    assert other.client.get(f"/orders/{other.checkout()}/pay").status_code == 200


def test_card_testing_guard_per_address(clean_app, limits, product, browser):
    limits(CARD_TESTING_PER_IP="2 per hour")
    for _ in range(2):
        shopper = other_address(clean_app, "10.6.6.6")
        shopper.add(product)
        decline(shopper, browser, shopper.checkout())
    fresh = other_address(clean_app, "10.6.6.6")  # new session, same address
    fresh.add(product)
    assert fresh.submit_checkout(fresh.checkout_form()).status_code == 429


def test_a_paid_order_is_not_a_failure(clean_app, limits, product, browser):
    from ..shopper import CARD_OK

    limits(CARD_TESTING_PER_SESSION="1 per hour")
    shopper = Shopper(clean_app.test_client())
    shopper.add(product)
    token = shopper.checkout()
    secret = shopper.client_secret(token)
    browser.confirm(secret, CARD_OK)
    shopper.return_from_stripe(token, intent_id_from_secret(secret))
    shopper.add(product)
    assert shopper.client.get(f"/orders/{shopper.checkout()}/pay").status_code == 200


def second_app(app, tmp_path, **overrides):
    config = app_config(app.config["SQLALCHEMY_DATABASE_URI"], app.config["STRIPE_API_BASE"],
                        tmp_path)
    other = create_app({**config, **overrides})
    other.test_client_class = IsolatedClient
    return other


def test_redis_storage_when_redis_url_is_set(app, tmp_path, redis_url):
    # The run's own Redis (parallel runs must not share counters), emptied by the fixture.
    redis = Redis.from_url(redis_url, socket_connect_timeout=1)
    wipe(app)
    shared = second_app(app, tmp_path, REDIS_URL=redis_url,
                        RATELIMIT_LOGIN_PER_IP="2 per minute")
    with shared.app_context():
        limiter.reset()
        client = shared.test_client()
        client.environ_base["REMOTE_ADDR"] = "10.3.3.3"
        for _ in range(2):
            assert login(client, "x@example.com", "wrong password").status_code == 401
        keys = redis.keys("LIMITS:LIMITER/shop/ip:10.3.3.3/*")
        assert keys, "the counter lives in Redis"
        assert login(client, "x@example.com", "wrong password").status_code == 429
        limiter.reset()
        db.session.remove()
    redis.close()


def test_redis_down_fails_open_with_a_warning(app, tmp_path, caplog):
    wipe(app)
    down = second_app(app, tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/3",
                      RATELIMIT_CHECKOUT_PER_SESSION="2 per minute")
    caplog.set_level(logging.WARNING)
    with down.app_context():
        store = make_store()
        product = make_product(store)
        shopper = Shopper(down.test_client())
        shopper.add(product)
        form = shopper.checkout_form()
        statuses = [shopper.submit_checkout(form).status_code for _ in range(3)]
        token = order_token_of_first()
        assert shopper.client.get(f"/orders/{token}/pay").status_code == 200
        db.session.remove()
    # Still limited, per process, from memory; and somebody was told.
    assert statuses == [303, 303, 429]
    assert "Rate limit storage unreachable - falling back to in-memory storage" in caplog.text


def order_token_of_first() -> str:
    db.session.rollback()
    return db.session.scalar(select(Order.token))


def test_two_apps_keep_their_own_limiter_storage(app, tmp_path):
    down = second_app(app, tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/3")
    with down.app_context():
        down_storage = limiter.storage
    with app.app_context():
        assert limiter.storage is not down_storage
        assert type(limiter.storage).__name__ == "MemoryStorage"
    assert type(down_storage).__name__ == "RedisStorage"
