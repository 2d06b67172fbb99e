"""Stock hoarding: one unpaid checkout must not be able to hold a product's whole stock, nor
keep it by checking out again, nor a client open checkouts without end."""

from __future__ import annotations

from datetime import timedelta

import pytest
import stripe
from sqlalchemy import func, select, update

from shop.extensions import db
from shop.models import Cart, InventoryHold, Order, StoreSettings
from shop.models.types import utcnow

from ..factories import PASSWORD, make_product, make_user
from ..shopper import CARD_DECLINED, Shopper, csrf_token, intent_id_from_secret, login

CAP = "You can buy at most {limit} of {name} in one order."


def from_address(app, address: str) -> Shopper:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return Shopper(client)


def flashed(shopper: Shopper) -> str:
    return shopper.client.get("/cart").get_data(as_text=True)


def counts() -> tuple[int, int]:
    db.session.rollback()
    return (db.session.scalar(select(func.count(Order.id))),
            db.session.scalar(select(func.count(InventoryHold.id))))


def live_hold_ends(token: str) -> list:
    db.session.rollback()
    return list(db.session.scalars(
        select(InventoryHold.expires_at).join(Order, Order.id == InventoryHold.order_id)
        .where(Order.token == token, InventoryHold.status == "active")))


def age_holds(token: str, left: timedelta) -> None:
    """Make the order's holds end ``left`` from now, as if time had passed."""
    order_id = db.session.scalar(select(Order.id).where(Order.token == token))
    db.session.execute(update(InventoryHold).where(InventoryHold.order_id == order_id)
                       .values(expires_at=utcnow() + left))
    db.session.commit()


@pytest.fixture
def caps(clean_app, monkeypatch):
    def set_caps(**values):
        for name, value in values.items():
            monkeypatch.setitem(clean_app.config, name, value)

    return set_caps


# --- a cap on units of one product in one order -------------------------------------------

def test_one_checkout_cannot_hold_a_whole_product(clean_app, store):
    """The pen test: one unpaid checkout held every unit, and the product showed "Sold out"."""
    product = make_product(store, name="Gesha", stock=25)
    attacker = Shopper(clean_app.test_client())
    attacker.add(product, 25)
    assert CAP.format(limit=10, name="Gesha") in flashed(attacker)
    attacker.add(product, 10)
    attacker.add(product, 1)  # one more than the cap, added later
    assert CAP.format(limit=10, name="Gesha") in flashed(attacker)
    attacker.checkout()
    held = db.session.scalar(select(func.sum(InventoryHold.quantity)))
    assert held == 10
    page = clean_app.test_client().get(f"/products/{product.slug}").get_data(as_text=True)
    assert "Sold out" not in page


def test_changing_the_quantity_is_capped_too(shopper, store, product):
    shopper.add(product, 2)
    page = shopper.client.get("/cart").get_data(as_text=True)
    shopper.client.post("/cart/update", data={"csrf_token": csrf_token(page),
                                              "product_id": product.id, "quantity": 11})
    assert CAP.format(limit=10, name="Kenya Nyeri") in flashed(shopper)
    cart = db.session.scalar(select(Cart))
    assert [item.quantity for item in cart.items] == [2]


def test_checkout_refuses_a_cart_over_the_cap(shopper, store):
    """A cart filled before the owner lowered the cap meets it at checkout."""
    product = make_product(store, name="Gesha", stock=25)
    shopper.add(product, 8)
    form = shopper.checkout_form()
    db.session.add(StoreSettings(store_id=store.id, max_units_per_product=5))
    db.session.commit()
    response = shopper.submit_checkout(form)
    assert response.status_code == 409
    assert (CAP.format(limit=5, name="Gesha") + " Please update your cart."
            in response.get_data(as_text=True))
    assert counts() == (0, 0)


# --- a hold is not renewed, and a decline keeps it only for a retry -----------------------

def test_checking_out_again_does_not_renew_the_hold(shopper, product):
    shopper.add(product, 2)
    first = shopper.checkout()
    age_holds(first, timedelta(minutes=2))  # 13 of its 15 minutes are gone
    second = shopper.checkout()
    [ends] = live_hold_ends(second)
    assert ends <= utcnow() + timedelta(minutes=2)  # not a fresh 15 minutes
    assert live_hold_ends(first) == []


def test_checking_out_again_at_once_keeps_only_a_retry_window(shopper, product):
    shopper.add(product, 2)
    first = shopper.checkout()
    tokens = [shopper.checkout() for _ in range(3)]
    [ends] = live_hold_ends(tokens[-1])
    assert ends <= utcnow() + timedelta(minutes=5)
    assert all(live_hold_ends(token) == [] for token in [first, *tokens[:-1]])


def test_a_lapsed_hold_is_not_carried_over(shopper, product):
    """Once the old hold has ended (anyone could buy meanwhile), a checkout is a new one."""
    shopper.add(product, 2)
    first = shopper.checkout()
    age_holds(first, timedelta(seconds=-1))
    [ends] = live_hold_ends(shopper.checkout())
    assert ends > utcnow() + timedelta(minutes=14)


def test_a_decline_shortens_the_hold_to_the_retry_window(shopper, product, browser, caps):
    caps(HOLD_RETRY_MINUTES=5)
    shopper.add(product, 2)
    token = shopper.checkout()
    [before] = live_hold_ends(token)
    assert before > utcnow() + timedelta(minutes=14)
    secret = shopper.client_secret(token)
    with pytest.raises(stripe.CardError):
        browser.confirm(secret, CARD_DECLINED)
    shopper.return_from_stripe(token, intent_id_from_secret(secret))
    [after] = live_hold_ends(token)
    assert utcnow() + timedelta(minutes=4) < after <= utcnow() + timedelta(minutes=5)
    assert shopper.client.get(f"/orders/{token}/pay").status_code == 200  # retry still open
    # Checking out again after the decline does not bring the 15 minutes back either.
    [again] = live_hold_ends(shopper.checkout())
    assert again <= after


# --- a cap on open checkouts per session and per address ----------------------------------

def test_open_checkouts_per_address(clean_app, caps, store, product):
    caps(MAX_OPEN_CHECKOUTS_PER_IP=2)
    tokens = []
    for _ in range(2):
        shopper = from_address(clean_app, "10.3.0.1")
        shopper.add(product, 1)
        tokens.append(shopper.checkout())
    shopper = from_address(clean_app, "10.3.0.1")
    shopper.add(product, 1)
    form = shopper.checkout_form()
    refused = shopper.submit_checkout(form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert "2 unpaid orders from your connection are already holding items" in html
    assert "try again in 15 minutes" in html and "Nothing was charged." in html
    assert 14 * 60 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert counts() == (2, 2)  # nothing changed
    # Another address is not affected; and once one of the two lapses, there is room.
    elsewhere = from_address(clean_app, "10.3.0.2")
    elsewhere.add(product, 1)
    assert elsewhere.submit_checkout(elsewhere.checkout_form()).status_code == 303
    age_holds(tokens[0], timedelta(seconds=-1))
    assert shopper.submit_checkout(form).status_code == 303  # the same form, now accepted


def test_checking_out_the_same_cart_again_is_not_another_open_checkout(clean_app, caps,
                                                                       product):
    caps(MAX_OPEN_CHECKOUTS_PER_IP=1, MAX_OPEN_CHECKOUTS_PER_SESSION=1)
    shopper = from_address(clean_app, "10.4.0.1")
    shopper.add(product, 1)
    assert len({shopper.checkout() for _ in range(3)}) == 3


def test_open_checkouts_per_signed_in_shopper(clean_app, caps, store, product):
    """An account's carts on several devices (each sign-in adopts the device's cart) are
    one shopper's: their open checkouts count together."""
    caps(MAX_OPEN_CHECKOUTS_PER_SESSION=2)
    make_user("ada@example.com")
    statuses = []
    for n in range(3):
        device = from_address(clean_app, f"10.5.0.{n}")
        device.add(product, 1)
        assert login(device.client, "ada@example.com", PASSWORD).status_code == 303
        response = device.submit_checkout(device.checkout_form())
        statuses.append(response.status_code)
    assert statuses == [303, 303, 429]
    assert "2 unpaid orders from you are already holding items" in \
        response.get_data(as_text=True)
    assert counts()[0] == 2
