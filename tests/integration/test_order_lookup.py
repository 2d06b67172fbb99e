"""A guest finds an order again by number and e-mail, or by the link in the receipt."""

import pytest

from ..factories import make_order
from ..shopper import post_form

WRONG_PAIR = "We could not find an order with that number and email address."


def lookup(client, number, email):
    return post_form(client, "/orders/lookup", "/orders/lookup", number=number, email=email)


@pytest.mark.parametrize("typed", ["{number}", "#{number}", " {id} "])
def test_number_and_email_lead_to_the_order_page(client, store, product, typed):
    order = make_order(store, product, email="ada@example.com")
    response = lookup(client, typed.format(number=order.number, id=order.id), "ADA@example.com")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/orders/{order.token}"


def test_a_wrong_pair_gets_one_message_that_reveals_nothing(client, store, product):
    order = make_order(store, product, email="ada@example.com")
    other = make_order(store, product, email="bob@example.com")
    answers = [lookup(client, order.number, "bob@example.com"),  # right number, wrong email
               lookup(client, "999999", "ada@example.com"),  # no such number
               lookup(client, other.number, "ada@example.com")]  # someone else's order
    for response in answers:
        html = response.get_data(as_text=True)
        assert response.status_code == 404
        assert WRONG_PAIR in html
        assert order.token not in html and other.token not in html


@pytest.mark.parametrize("number,email,message", [
    ("", "ada@example.com", "Enter your order number."),
    ("abc", "ada@example.com", "Enter the order number from your email"),
    ("000001", "not-an-email", "Enter an email address like name@example.com."),
])
def test_malformed_input_is_explained(client, store, number, email, message):
    response = lookup(client, number, email)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_lookup_needs_csrf(client, store, product):
    order = make_order(store, product)
    response = client.post("/orders/lookup", data={"number": order.number,
                                                   "email": order.email})
    assert response.status_code == 400


def test_the_receipt_links_back_to_the_order_page(client, clean_app, store, product,
                                                  mailbox):
    from shop.extensions import db
    from shop.models.types import utcnow
    from shop.services.notifications import send_receipt

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
