"""A guest finds an order again by number and e-mail: the link is e-mailed to the order's own
address, never shown, and guessing is slow (rate limits per address and per e-mail)."""

import re

import pytest

from ..factories import make_order
from ..shopper import csrf_token, post_form
from ..statements import recorded_statements

SENT = "If an order matches, we have e-mailed its link to that address."


def lookup(client, number, email, **kwargs):
    return post_form(client, "/orders/lookup", "/orders/lookup", number=number, email=email,
                     **kwargs)


def from_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", html)


@pytest.mark.parametrize("typed", ["{number}", "#{number}", " {id} "])
def test_number_and_email_mail_the_link_to_the_order(client, clean_app, store, product,
                                                      mailbox, typed):
    order = make_order(store, product, email="ada@example.com")
    response = lookup(client, typed.format(number=order.number, id=order.id), "ADA@example.com")
    assert response.status_code == 200 and SENT in response.get_data(as_text=True)
    [mail] = mailbox()
    assert mail["To"] == "ada@example.com"
    link = f"{clean_app.config['BASE_URL']}/orders/{order.token}"
    assert link in mail.get_body(("plain",)).get_content()
    assert link in mail.get_body(("html",)).get_content()


def test_a_correct_guess_discloses_nothing_on_screen(client, store, product, mailbox):
    """The pen test's find: the 26th guess showed name, street and postcode."""
    order = make_order(store, product, email="ada@example.com")
    response = lookup(client, order.number, "ada@example.com")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Location" not in response.headers
    for secret in (order.token, order.ship_name, order.ship_line1, order.ship_postal_code,
                   order.ship_city):
        assert secret not in html
    assert len(mailbox()) == 1


def test_the_mailed_link_is_built_on_base_url(clean_app, store, product, mailbox,
                                              monkeypatch):
    monkeypatch.setitem(clean_app.config, "BASE_URL", "https://shop.example")
    order = make_order(store, product, email="ada@example.com")
    lookup(clean_app.test_client(), order.number, "ada@example.com")  # Host: localhost
    [mail] = mailbox()
    text = mail.get_body(("plain",)).get_content()
    assert f"https://shop.example/orders/{order.token}" in text
    assert "localhost" not in text


def test_right_wrong_and_missing_pairs_get_the_same_answer(clean_app, store, product, mailbox):
    order = make_order(store, product, email="ada@example.com")
    other = make_order(store, product, email="bob@example.com")
    pairs = [(order.number, "ada@example.com"),  # right
             (order.number, "bob@example.com"),  # right number, wrong e-mail
             ("999999", "ada@example.com"),  # no such number
             (other.number, "ada@example.com")]  # someone else's order
    answers = []
    for number, email in pairs:
        response = lookup(clean_app.test_client(), number, email)
        answers.append((response.status_code, without_csrf(response.get_data(as_text=True))))
    assert answers[0][0] == 200 and SENT in answers[0][1]
    assert all(answer == answers[0] for answer in answers)
    assert [mail["To"] for mail in mailbox()] == ["ada@example.com"]  # the right pair only


def test_found_and_not_found_do_the_same_work_before_answering(clean_app, store, product,
                                                               mailbox):
    """Same statements, same comparison: the time to answer does not tell the halves apart.
    Read before the response is closed: the mail goes out only after the answer."""
    order = make_order(store, product, email="ada@example.com")
    lookup(clean_app.test_client(), "000000", "warm@example.com")  # the worker's store copy
    work, mailed = {}, {}
    for name, number, email in (("right", order.number, "ada@example.com"),
                                ("wrong_email", order.number, "eve@example.com"),
                                ("no_order", "424242", "ada@example.com")):
        client = clean_app.test_client()
        token = csrf_token(client.get("/orders/lookup").get_data(as_text=True))
        with recorded_statements(control=True) as statements:
            response = client.post("/orders/lookup", buffered=False, data={
                "csrf_token": token, "number": number, "email": email})
        assert response.status_code == 200
        work[name] = statements
        before = len(mailbox())
        response.close()  # the answer has been sent: now a found order's mail goes out
        mailed[name] = len(mailbox()) - before
    assert work["right"] == work["wrong_email"] == work["no_order"]
    assert mailed == {"right": 1, "wrong_email": 0, "no_order": 0}


def test_guessing_numbers_for_one_email_is_rate_limited(clean_app, limits, store, product,
                                                        mailbox):
    limits(RATELIMIT_LOOKUP_PER_EMAIL="3 per minute")
    order = make_order(store, product, email="ada@example.com")
    # Sequential guesses from ever new addresses: the e-mail's own counter stops them.
    statuses = [lookup(from_address(clean_app, f"10.1.0.{n}"), f"{order.id + n:06d}",
                       "Ada@Example.com").status_code for n in range(1, 4)]
    refused = lookup(from_address(clean_app, "10.1.0.9"), order.number, "ada@example.com")
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 61
    assert "Too many requests" in refused.get_data(as_text=True)
    assert mailbox() == []  # the right guess came too late: nothing was sent
    other = lookup(from_address(clean_app, "10.1.0.9"), order.number, "bob@example.com")
    assert other.status_code == 200  # another e-mail is not held up


def test_guessing_from_one_address_is_rate_limited(clean_app, limits, store, product):
    limits(RATELIMIT_LOOKUP_PER_IP="3 per minute")
    client = from_address(clean_app, "10.2.0.1")
    statuses = [lookup(client, f"{n:06d}", f"guess{n}@example.com").status_code
                for n in range(1, 5)]
    assert statuses == [200, 200, 200, 429]
    elsewhere = from_address(clean_app, "10.2.0.2")
    assert lookup(elsewhere, "000001", "guess9@example.com").status_code == 200
    assert client.get("/orders/lookup").status_code == 200  # only the POSTs count


@pytest.mark.parametrize("number,email,message", [
    ("", "ada@example.com", "Enter your order number."),
    ("abc", "ada@example.com", "Enter the order number from your email"),
    ("000001", "not-an-email", "Enter an email address like name@example.com."),
])
def test_malformed_input_is_explained(client, store, number, email, message, mailbox):
    response = lookup(client, number, email)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert mailbox() == []


def test_lookup_needs_csrf(client, store, product, mailbox):
    order = make_order(store, product)
    response = client.post("/orders/lookup", data={"number": order.number,
                                                   "email": order.email})
    assert response.status_code == 400
    assert mailbox() == []


def test_the_receipt_links_back_to_the_order_page(client, clean_app, store, product,
                                                  mailbox):
    from shop.extensions import db
    from shop.models.types import utcnow
    from shop.services.notifications.mail import send_receipt

    order = make_order(store, product, status="paid", payment_status="paid")
    order.paid_at = utcnow()
    db.session.commit()
    # Jobs run without a request: links are built from the configured BASE_URL.
    assert send_receipt(order.id)
    [mail] = mailbox()
    link = f"{clean_app.config['BASE_URL']}/orders/{order.token}"
    assert link in mail.get_body(("plain",)).get_content()
    assert link in mail.get_body(("html",)).get_content()
    assert client.get(f"/orders/{order.token}").status_code == 200
