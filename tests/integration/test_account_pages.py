"""Order history, order detail and saved addresses: each shopper sees only their own."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Address, Order
from shop.models.types import utcnow

from ..factories import PASSWORD, make_order, make_user
from ..shopper import ADDRESS, csrf_token, login, post_form

HOME = {"name": "Ada Lovelace", "line1": "1 Analytical Way", "line2": "", "city": "Springfield",
        "postal_code": "62701", "region": "US-IL", "country": "US"}
WORK = {**HOME, "line1": "12 Engine Street", "city": "Chicago", "postal_code": "60601"}


@pytest.fixture
def ada(client, store):
    user = make_user("ada@example.com")
    login(client, "ada@example.com", PASSWORD)
    return user


@pytest.fixture
def bob(store):
    return make_user("bob@example.com")


def addresses(user_id) -> list[Address]:
    db.session.rollback()
    return db.session.scalars(select(Address).where(Address.user_id == user_id)
                              .order_by(Address.id)).all()


@pytest.mark.parametrize("url", ["/account/orders", "/account/addresses", "/account/orders/1",
                                 "/account/"])
def test_account_pages_need_a_sign_in(client, store, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")


def test_history_is_newest_first_paginated_and_only_mine(client, clean_app, store, product,
                                                         ada, bob):
    now = utcnow()
    for i in range(12):
        make_order(store, product, user=ada, created_at=now - timedelta(days=i))
    theirs = make_order(store, product, user=bob, email="bob@example.com")
    first = client.get("/account/orders").get_data(as_text=True)
    numbers = [o.number for o in db.session.scalars(
        select(Order).where(Order.user_id == ada.id).order_by(Order.created_at.desc()))]
    assert [n for n in numbers if f"Order {n}" in first] == numbers[:10]
    assert f"Order {theirs.number}" not in first
    assert "Page 1 of 2" in first
    second = client.get("/account/orders?page=2").get_data(as_text=True)
    assert [n for n in numbers if f"Order {n}" in second] == numbers[10:]


def test_history_filters_by_status(client, store, product, ada):
    shipped = make_order(store, product, user=ada, status="shipped", payment_status="paid")
    pending = make_order(store, product, user=ada)
    html = client.get("/account/orders?status=shipped").get_data(as_text=True)
    assert f"Order {shipped.number}" in html and f"Order {pending.number}" not in html
    assert "No orders with that status." in client.get(
        "/account/orders?status=delivered").get_data(as_text=True)


def test_history_refuses_an_unknown_status_filter(client, store, product, ada):
    make_order(store, product, user=ada)
    response = client.get("/account/orders?status=bogus")
    assert response.status_code == 400
    assert "Choose one of the statuses in the list." in response.get_data(as_text=True)


def test_order_detail_for_the_owner_only(client, store, product, ada, bob):
    mine = make_order(store, product, user=ada, status="shipped", payment_status="paid",
                      carrier="UPS", tracking_number="1Z999")
    theirs = make_order(store, product, user=bob, email="bob@example.com")
    guest = make_order(store, product, email="ada@example.com")
    html = client.get(f"/account/orders/{mine.id}").get_data(as_text=True)
    assert f"Order {mine.number}" in html and "Your order is on its way" in html
    assert "https://www.ups.com/track?tracknum=1Z999" in html
    for other in (theirs, guest):
        response = client.get(f"/account/orders/{other.id}")
        assert response.status_code == 404
        assert other.token not in response.get_data(as_text=True)
    assert client.get("/account/orders/999999").status_code == 404


def add_address(client, **fields):
    return post_form(client, "/account/addresses", "/account/addresses", **fields)


def test_first_address_becomes_the_default(client, ada):
    assert add_address(client, **HOME).status_code == 303
    assert add_address(client, **WORK).status_code == 303
    home, work = addresses(ada.id)
    assert (home.is_default, work.is_default) == (True, False)
    html = client.get("/account/addresses").get_data(as_text=True)
    assert "12 Engine Street" in html and "Default" in html


def test_make_default_and_edit_and_delete(client, ada):
    add_address(client, **HOME)
    add_address(client, **WORK)
    home, work = addresses(ada.id)
    assert post_form(client, "/account/addresses",
                     f"/account/addresses/{work.id}/default").status_code == 303
    assert [a.is_default for a in addresses(ada.id)] == [False, True]
    response = post_form(client, f"/account/addresses/{home.id}/edit",
                         f"/account/addresses/{home.id}/edit", **{**HOME, "city": "Peoria"})
    assert response.status_code == 303
    assert addresses(ada.id)[0].city == "Peoria"
    assert post_form(client, "/account/addresses",
                     f"/account/addresses/{work.id}/delete").status_code == 303
    [left] = addresses(ada.id)
    assert (left.id, left.is_default) == (home.id, True)  # the default moved on


def test_bad_address_input_changes_nothing(client, ada):
    add_address(client, **HOME)
    response = add_address(client, **{**WORK, "city": "", "country": "XX"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter a city." in html and "Not a valid choice" in html
    [home] = addresses(ada.id)
    response = post_form(client, f"/account/addresses/{home.id}/edit",
                         f"/account/addresses/{home.id}/edit", **{**HOME, "line1": ""})
    assert response.status_code == 400 and "Enter a street address." in response.get_data(
        as_text=True)
    assert addresses(ada.id)[0].line1 == HOME["line1"]


def test_another_users_address_is_a_404_and_untouched(client, store, ada, bob):
    other = Address(user_id=bob.id, is_default=True, **WORK)
    db.session.add(other)
    db.session.commit()
    token = csrf_token(client.get("/account/addresses").get_data(as_text=True))
    assert client.get(f"/account/addresses/{other.id}/edit").status_code == 404
    for action in ("edit", "delete", "default"):
        response = client.post(f"/account/addresses/{other.id}/{action}",
                               data={"csrf_token": token, **HOME})
        assert response.status_code == 404, action
    [kept] = addresses(bob.id)
    assert (kept.line1, kept.is_default) == (WORK["line1"], True)
    assert addresses(ada.id) == []


def test_address_forms_need_csrf(client, ada):
    assert client.post("/account/addresses", data=HOME).status_code == 400
    assert addresses(ada.id) == []


def test_signed_in_checkout_prefills_saves_and_owns_the_order(client, shopper, product, ada):
    add_address(client, **HOME)
    add_address(client, **WORK)
    home, work = addresses(ada.id)
    shopper.add(product)
    html = client.get("/checkout").get_data(as_text=True)
    assert 'value="ada@example.com"' in html and 'value="1 Analytical Way"' in html
    assert f'href="/checkout?address={work.id}"' in html
    assert 'value="12 Engine Street"' in client.get(
        f"/checkout?address={work.id}").get_data(as_text=True)
    new_place = {**ADDRESS, "line1": "99 New Road", "save_address": "y"}
    token = shopper.checkout(**new_place)
    order = db.session.scalar(select(Order).where(Order.token == token))
    assert order.user_id == ada.id
    assert [a.line1 for a in addresses(ada.id)] == ["1 Analytical Way", "12 Engine Street",
                                                    "99 New Road"]
    assert f"Order {order.number}" in client.get("/account/orders").get_data(as_text=True)


def test_saving_the_same_address_twice_keeps_one(client, shopper, product, ada):
    shopper.add(product)
    shopper.checkout(save_address="y")
    shopper.add(product)
    shopper.checkout(save_address="y")
    assert len(addresses(ada.id)) == 1


def test_guest_checkout_stays_a_guest_order(client, shopper, product, store):
    shopper.add(product)
    html = client.get("/checkout").get_data(as_text=True)
    assert "Save this address" not in html and "continue as a guest" in html
    token = shopper.checkout(save_address="y")
    assert db.session.scalar(select(Order.user_id).where(Order.token == token)) is None
    assert db.session.scalar(select(func.count(Address.id))) == 0
