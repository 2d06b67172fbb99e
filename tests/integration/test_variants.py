"""Variants (issue 19 item 12): the product page's choice (field ``variant``), the cart, the
holds, the order lines and the JSON-LD, each per variant; refusals that add nothing."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import CartItem, InventoryHold, Order, OrderLine, Product, ProductVariant

from ..factories import make_product, make_variant
from ..shopper import CARD_OK, csrf_token, intent_id_from_secret


@pytest.fixture
def coffee(store):
    """Two variants on sale and one that is not."""
    product = make_product(store, name="Ethiopia Yirgacheffe", price=1650, stock=4)
    product.variants[0].name = "250 g · whole bean"
    db.session.commit()
    make_variant(product, "1 kg · ground", price=5450, stock=2, sku="ETH-1KG-G")
    make_variant(product, "1 kg · whole bean", price=5450, stock=9, sku="ETH-1KG-WB",
                 active=False)
    return product


def variant_named(product, name: str) -> ProductVariant:
    db.session.rollback()  # end the read snapshot (SQLite WAL) and reload
    return db.session.scalar(select(ProductVariant).where(
        ProductVariant.product_id == product.id, ProductVariant.name == name))


def add(client, product, variant, quantity: int = 1, **extra):
    page = client.get(f"/products/{product.slug}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "product_id": product.id, "quantity": quantity,
            **extra}
    if variant is not None:
        data["variant"] = variant
    return client.post("/cart/add", data=data, headers={"Referer": f"http://localhost/products/{product.slug}"})


def cart_lines() -> dict[int, int]:
    db.session.rollback()
    return dict(db.session.execute(select(CartItem.variant_id, CartItem.quantity)).all())


def json_ld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


def test_the_product_page_offers_each_variant_on_sale(client, coffee):
    html = client.get(f"/products/{coffee.slug}").get_data(as_text=True)
    small, large = variant_named(coffee, "250 g · whole bean"), variant_named(coffee,
                                                                              "1 kg · ground")
    radios = re.findall(r'<input type="radio" id="variant-(\d+)" name="variant" value="(\d+)"',
                        html)
    assert radios == [(str(small.id), str(small.id)), (str(large.id), str(large.id))]
    assert f'<label for="variant-{small.id}">250 g · whole bean</label>' in html
    assert "$54.50" in html and "From $16.50" in html
    assert "1 kg · whole bean" not in html  # not on sale
    assert "<legend>Choose an option</legend>" in html


def test_the_chosen_variant_goes_in_the_cart_at_its_own_price(client, coffee):
    large = variant_named(coffee, "1 kg · ground")
    response = add(client, coffee, large.id, 2)
    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    assert cart_lines() == {large.id: 2}
    html = client.get("/cart").get_data(as_text=True)
    assert "1 kg · ground" in html and "$109.00" in html
    # Its own stock: 2 on hand, so a third is refused and the line stays at 2.
    add(client, coffee, large.id, 1)
    assert cart_lines() == {large.id: 2}


@pytest.mark.parametrize("which", ["unknown", "inactive", "other_product", "not_a_number",
                                   "missing"])
def test_a_bad_variant_is_refused_and_adds_nothing(client, store, coffee, which):
    other = make_product(store, name="Sencha")
    variant = {"unknown": 999_999,
               "inactive": variant_named(coffee, "1 kg · whole bean").id,
               "other_product": other.variants[0].id,
               "not_a_number": "abc", "missing": None}[which]
    response = add(client, coffee, variant)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/products/{coffee.slug}"
    html = client.get(f"/products/{coffee.slug}").get_data(as_text=True)
    message = ("Choose which Ethiopia Yirgacheffe you want." if which == "missing" else
               "That option is not available; please choose another." if which == "not_a_number"
               else "That option of Ethiopia Yirgacheffe is not available; please choose another.")
    assert message in html
    assert cart_lines() == {}


def test_a_product_without_options_needs_no_choice(client, product):
    assert add(client, product, None).status_code == 303
    assert cart_lines() == {product.variants[0].id: 1}


def test_checkout_holds_and_sells_per_variant(shopper, browser, coffee):
    small, large = variant_named(coffee, "250 g · whole bean"), variant_named(coffee,
                                                                              "1 kg · ground")
    add(shopper.client, coffee, small.id, 1)
    add(shopper.client, coffee, large.id, 2)
    token = shopper.checkout()
    db.session.rollback()
    order = db.session.scalar(select(Order).where(Order.token == token))
    lines = {(line.variant_id, line.name, line.sku, line.unit_price, line.quantity)
             for line in order.lines}
    assert lines == {(small.id, "Ethiopia Yirgacheffe — 250 g · whole bean", small.sku, 1650, 1),
                     (large.id, "Ethiopia Yirgacheffe — 1 kg · ground", "ETH-1KG-G", 5450, 2)}
    assert order.subtotal == 1650 + 2 * 5450
    held = dict(db.session.execute(select(InventoryHold.variant_id, InventoryHold.quantity)
                                   .where(InventoryHold.order_id == order.id)).all())
    assert held == {small.id: 1, large.id: 2}
    # The large bag is all held: sold out; the small one still has 3.
    data = json_ld(shopper.client.get(f"/products/{coffee.slug}").get_data(as_text=True))
    offers = {offer["sku"]: (offer["price"], offer["availability"]) for offer in data["offers"]}
    assert offers == {small.sku: ("16.50", "https://schema.org/InStock"),
                      "ETH-1KG-G": ("54.50", "https://schema.org/OutOfStock")}

    secret = shopper.client_secret(token)
    browser.confirm(secret, CARD_OK)
    assert shopper.return_from_stripe(token, intent_id_from_secret(secret)).status_code == 303
    assert (variant_named(coffee, "250 g · whole bean").stock_on_hand,
            variant_named(coffee, "1 kg · ground").stock_on_hand) == (3, 0)
    # The product's maintained sum follows: 4 + 2 + 9 (not on sale) − 3.
    assert db.session.get(Product, coffee.id).stock_on_hand == 12


def test_json_ld_has_one_offer_per_variant_at_the_live_price(client, coffee):
    data = json_ld(client.get(f"/products/{coffee.slug}").get_data(as_text=True))
    small = variant_named(coffee, "250 g · whole bean")
    assert data["@type"] == "Product"
    assert data["offers"] == [
        {"@type": "Offer", "url": data["url"], "sku": small.sku, "name": "250 g · whole bean",
         "price": "16.50", "priceCurrency": "USD", "availability": "https://schema.org/InStock"},
        {"@type": "Offer", "url": data["url"], "sku": "ETH-1KG-G", "name": "1 kg · ground",
         "price": "54.50", "priceCurrency": "USD",
         "availability": "https://schema.org/InStock"}]


def test_an_order_line_keeps_its_variant_after_the_variant_changes(shopper, coffee):
    large = variant_named(coffee, "1 kg · ground")
    add(shopper.client, coffee, large.id, 1)
    token = shopper.checkout()
    large.name, large.price = "1 kg · espresso grind", 6000
    db.session.commit()
    line = db.session.scalar(select(OrderLine).join(Order).where(Order.token == token))
    assert (line.name, line.unit_price) == ("Ethiopia Yirgacheffe — 1 kg · ground", 5450)
    assert db.session.scalar(select(func.count(OrderLine.id))) == 1


def test_the_seed_sells_coffee_in_four_variants_and_the_rest_plain(clean_app):
    from shop.seed import CATALOG, seed_demo

    with clean_app.app_context():
        seed_demo("main")
        db.session.rollback()
        ethiopia = db.session.scalar(select(Product).where(
            Product.slug == "ethiopia-yirgacheffe"))
        assert [(v.sku, v.name, v.price, v.stock_on_hand) for v in ethiopia.variants] == [
            ("ethiopia-yirgacheffe-250g-whole", "250 g · whole bean", 1650, 20),
            ("ethiopia-yirgacheffe-250g-ground", "250 g · ground", 1650, 10),
            ("ethiopia-yirgacheffe-1kg-whole", "1 kg · whole bean", 5450, 10),
            ("ethiopia-yirgacheffe-1kg-ground", "1 kg · ground", 5450, 0)]
        assert (ethiopia.price, ethiopia.stock_on_hand) == (1650, 40)
        for category, items in CATALOG.items():
            for name, price, stock in items:
                product = db.session.scalar(select(Product).where(Product.name == name))
                assert sum(v.stock_on_hand for v in product.variants) == stock
                assert product.price == min(v.price for v in product.variants) == price
                assert len(product.variants) == (4 if category == "Coffee" else 1)
        skus = db.session.scalars(select(ProductVariant.sku)).all()
        assert len(skus) == len(set(skus))
