"""Issue 20 item 8: `flask shop seed` also makes the naira store `lagos` (its catalog, its
payment methods), and a store's rate table follows its currency: a lagos checkout ships
within Nigeria and prices in NGN, while the first store keeps its US dollar table."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import Order, Product, ProductVariant, Store, StoreSettings
from shop.services.payments.methods import method_settings
from shop.services.platform.settings import effective_settings

from ..shopper import Shopper


def test_the_seed_makes_the_lagos_store_beside_the_first(clean_app, monkeypatch):
    from shop.seed import LAGOS_CATALOG

    # `SHOP_STORE_SLUG=lagos make dev` seeds both and serves lagos.
    monkeypatch.setitem(clean_app.config, "SHOP_STORE_SLUG", "lagos")
    result = clean_app.test_cli_runner().invoke(args=["shop", "seed"])
    assert result.exit_code == 0, result.output
    assert "Store 'main'" in result.output and "Store 'lagos'" in result.output
    db.session.rollback()
    main, lagos = (db.session.scalar(select(Store).where(Store.slug == slug))
                   for slug in ("main", "lagos"))
    assert (main.currency, main.country) == ("USD", "US")
    assert (lagos.currency, lagos.country) == ("NGN", "NG")
    products = db.session.scalars(select(Product).where(Product.store_id == lagos.id)).all()
    assert len(products) == sum(len(items) for items in LAGOS_CATALOG.values())
    assert {p.currency for p in products} == {"NGN"}
    mambilla = next(p for p in products if p.slug == "mambilla-highland")
    assert [(v.price, v.stock_on_hand) for v in mambilla.variants] == [
        (14_000_00, 12), (14_000_00, 6), (45_000_00, 6), (45_000_00, 0)]
    assert all(v.store_id == lagos.id for p in products for v in p.variants)
    settings = method_settings(lagos.id)
    assert settings.enabled == ("paystack", "flutterwave", "bank_transfer", "cod")
    assert settings.default == "paystack" and "Account number" in settings.bank_account
    assert method_settings(main.id).enabled == ("stripe", "stripe_checkout")
    # A second seed adds nothing and keeps what an owner changed.
    db.session.get(StoreSettings, lagos.id).payment_methods = ["cod"]
    db.session.commit()
    again = clean_app.test_cli_runner().invoke(args=["shop", "seed"])
    assert "Store 'lagos': 0 products added." in again.output
    db.session.rollback()
    assert method_settings(lagos.id).enabled == ("cod",)
    assert db.session.scalar(select(db.func.count(ProductVariant.id)).where(
        ProductVariant.store_id == lagos.id)) == sum(
        4 if category == "Coffee" else 1 for category, items in LAGOS_CATALOG.items()
        for _ in items)


@pytest.fixture
def lagos(clean_app, monkeypatch):
    """A naira store served by the storefront, paying by card so an order can be placed
    here whatever other methods are built."""
    store = Store(slug="lagos", name="Lagos", currency="NGN", country="NG")
    db.session.add(store)
    db.session.flush()
    db.session.add(StoreSettings(store_id=store.id, payment_methods=["stripe"],
                                 default_payment_method="stripe"))
    product = Product(store_id=store.id, slug="zobo", name="Zobo", price=4_500_00,
                      currency="NGN", stock_on_hand=5, description="Hibiscus.", active=True,
                      variants=[ProductVariant(store_id=store.id, sku="zobo", name="",
                                               price=4_500_00, stock_on_hand=5, position=0,
                                               active=True)])
    db.session.add(product)
    db.session.commit()
    monkeypatch.setitem(clean_app.config, "SHOP_STORE_SLUG", "lagos")
    return product


NIGERIA = {"country": "NG", "region": "", "city": "Lagos", "postal_code": "100001",
           "line1": "12 Awolowo Road"}


def test_a_lagos_checkout_ships_in_nigeria_and_prices_in_naira(clean_app, lagos):
    rates = effective_settings(lagos.store_id).rates
    assert rates.currency == "NGN" and set(rates.countries) == {"NG"}
    shopper = Shopper(clean_app.test_client())
    shopper.add(lagos, 2)
    page = shopper.client.get("/checkout").get_data(as_text=True)
    assert '<option selected value="NG">Nigeria</option>' in page
    # The summary in English as written in Nigeria (SHOP_LOCALE=en_US, the store in NG).
    assert "₦9,000.00" in page and "NGN" not in page and "$" not in page
    token = shopper.checkout(**NIGERIA)
    order = db.session.scalar(select(Order).where(Order.token == token))
    # ₦9,000 of goods, ₦2,500 standard shipping, VAT 7.5 % on both.
    assert (order.currency, order.subtotal, order.shipping, order.tax, order.total) == \
        ("NGN", 9_000_00, 2_500_00, 862_50, 12_362_50)
    assert order.ship_country == "NG"


def test_a_lagos_checkout_refuses_a_us_address(clean_app, lagos):
    shopper = Shopper(clean_app.test_client())
    shopper.add(lagos)
    response = shopper.submit_checkout(shopper.checkout_form())  # the suite's US address
    assert response.status_code == 400
    assert db.session.scalar(select(Order.id)) is None


def test_the_first_store_keeps_its_dollar_table(clean_app):
    store = Store(slug="main", name="Main", currency="USD")
    db.session.add(store)
    db.session.commit()
    rates = effective_settings(store.id).rates
    assert rates.currency == "USD"
    assert rates.zone_for("US").shipping == {"standard": 500, "express": 1500}
    assert "NG" not in rates.countries
