"""The guest cart merges into the account's on login; a closed order refills the cart."""

from datetime import timedelta

from sqlalchemy import select

from shop.extensions import db
from shop.models import Cart, CartItem, InventoryHold, Order
from shop.models.types import utcnow

from ..factories import (
    PASSWORD,
    make_order,
    make_product,
    make_user,
    set_price,
    set_stock,
)
from ..shopper import Shopper, login, post_form


def cart_lines(user_id) -> dict[str, int]:
    db.session.rollback()
    carts = db.session.scalars(select(Cart).where(Cart.user_id == user_id)).all()
    assert len(carts) == 1, "one cart per user"
    return {i.product.name: i.quantity for i in carts[0].items}


def saved_cart(client, clean_app, user, product, quantity):
    """Put ``quantity`` of ``product`` in the user's cart on another 'device', sign out."""
    other = clean_app.test_client()
    login(other, user.email, PASSWORD)
    Shopper(other).add(product, quantity)


def test_guest_cart_merges_into_the_saved_cart(client, clean_app, store):
    tea = make_product(store, name="Sencha", stock=10)
    mug = make_product(store, name="Mug", stock=10)
    ada = make_user("ada@example.com")
    saved_cart(client, clean_app, ada, tea, 2)
    Shopper(client).add(tea, 3)
    Shopper(client).add(mug, 1)
    response = login(client, "ada@example.com", PASSWORD)
    assert response.status_code == 303
    assert cart_lines(ada.id) == {"Sencha": 5, "Mug": 1}
    html = client.get("/cart").get_data(as_text=True)
    assert "Sencha" in html and "Mug" in html
    assert db.session.scalar(select(CartItem.id).join(Cart).where(Cart.user_id.is_(None))) \
        is None  # the old saved cart was emptied, not left behind with copies


def test_merge_caps_at_stock_and_says_so(client, clean_app, store):
    scarce = make_product(store, name="Kenya Nyeri AA", stock=3)
    ada = make_user("ada@example.com")
    saved_cart(client, clean_app, ada, scarce, 2)
    Shopper(client).add(scarce, 2)
    login(client, "ada@example.com", PASSWORD)
    assert cart_lines(ada.id) == {"Kenya Nyeri AA": 3}
    html = client.get("/cart").get_data(as_text=True)
    assert "Only 3 of Kenya Nyeri AA available: your cart now has 3." in html


def test_sold_out_lines_leave_the_merged_cart(client, clean_app, store):
    gone = make_product(store, name="Rooibos", stock=2)
    ada = make_user("ada@example.com")
    saved_cart(client, clean_app, ada, gone, 2)
    set_stock(gone, 0)
    Shopper(client).add(make_product(store, name="Mug"), 1)
    login(client, "ada@example.com", PASSWORD)
    assert cart_lines(ada.id) == {"Mug": 1}
    assert "Rooibos is sold out, so it is no longer in your cart." in client.get(
        "/cart").get_data(as_text=True)


def test_login_without_a_guest_cart_brings_back_the_saved_one(client, clean_app, store,
                                                              product):
    ada = make_user("ada@example.com")
    saved_cart(client, clean_app, ada, product, 2)
    login(client, "ada@example.com", PASSWORD)
    assert "Kenya Nyeri" in client.get("/cart").get_data(as_text=True)
    assert cart_lines(ada.id) == {"Kenya Nyeri": 2}


def test_a_guest_cart_is_adopted_when_the_account_has_none(client, store, product):
    ada = make_user("ada@example.com")
    Shopper(client).add(product, 1)
    login(client, "ada@example.com", PASSWORD)
    assert cart_lines(ada.id) == {"Kenya Nyeri": 1}


def rebuild(client, token):
    # Any page with a form gives the session's CSRF token (open orders show no rebuild form).
    return post_form(client, "/orders/lookup", f"/orders/{token}/rebuild")


def test_rebuild_refills_the_cart_at_todays_prices(client, store, product):
    order = make_order(store, product, quantity=2, status="canceled")
    set_price(product, 1800)
    page = client.get(f"/orders/{order.token}").get_data(as_text=True)
    assert "This order was canceled" in page and "Rebuild my cart" in page
    response = rebuild(client, order.token)
    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    html = client.get("/cart").get_data(as_text=True)
    assert "Kenya Nyeri now costs $18.00 (it was $16.50)." in html
    assert 'value="2"' in html and "$36.00" in html


def test_rebuild_caps_at_what_is_available(client, store):
    scarce = make_product(store, name="Darjeeling", stock=5)
    order = make_order(store, scarce, quantity=4, status="expired")
    other = make_order(store, scarce, quantity=3)
    db.session.add(InventoryHold(product_id=scarce.id, variant_id=scarce.variants[0].id,
                                 order_id=other.id, quantity=3,
                                 expires_at=utcnow() + timedelta(minutes=10)))
    db.session.commit()
    rebuild(client, order.token)
    html = client.get("/cart").get_data(as_text=True)
    assert "Only 2 of Darjeeling available: your cart now has 2." in html


def test_rebuild_refuses_an_open_or_paid_order(client, store, product):
    for status, payment in (("pending", "unpaid"), ("paid", "paid")):
        order = make_order(store, product, status=status, payment_status=payment)
        assert "Rebuild my cart" not in client.get(f"/orders/{order.token}").get_data(
            as_text=True)
        response = rebuild(client, order.token)
        assert response.headers["Location"] == f"/orders/{order.token}"
        assert "Only a canceled or expired order" in client.get(
            f"/orders/{order.token}").get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(CartItem.id)) is None


def test_rebuild_needs_csrf(client, store, product):
    order = make_order(store, product, status="canceled")
    assert client.post(f"/orders/{order.token}/rebuild").status_code == 400
    assert db.session.scalar(select(Cart.id)) is None
    assert db.session.get(Order, order.id).status == "canceled"
