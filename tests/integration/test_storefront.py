from shop.extensions import db
from shop.models import CartItem, Category

from ..factories import make_product
from ..shopper import csrf_token


def test_catalog_paginates_filters_and_searches(client, store):
    tea = Category(store_id=store.id, slug="tea", name="Tea")
    db.session.add(tea)
    db.session.commit()
    for i in range(14):
        make_product(store, name=f"Coffee {i:02d}")
    make_product(store, name="Sencha", category=tea)

    first = client.get("/").get_data(as_text=True)
    assert "15 products" in first and "Page 1 of 2" in first
    assert "Coffee 00" in first and "Sencha" not in first  # sorted by name, 12 a page
    second = client.get("/?page=2").get_data(as_text=True)
    assert "Sencha" in second and "Coffee 00" not in second

    filtered = client.get("/?category=tea").get_data(as_text=True)
    assert "1 product" in filtered and "Sencha" in filtered and "Coffee 01" not in filtered
    found = client.get("/?q=senc").get_data(as_text=True)
    assert "Sencha" in found and "Coffee" not in found.split("<main")[1].split("product-grid")[1]
    assert client.get("/?category=nope").status_code == 404
    # Each combination of filters is its own statement (services.catalog._page_statement).
    make_product(store, name="Coffee Tea Blend", category=tea)
    both = client.get("/?category=tea&q=coffee").get_data(as_text=True)
    assert "1 product" in both and "Coffee Tea Blend" in both and "Coffee 00" not in both
    assert "16 products" in client.get("/").get_data(as_text=True)


def test_product_page_shows_price_and_stock_state(client, store):
    plenty = make_product(store, name="Plenty", price=1234, stock=50)
    scarce = make_product(store, name="Scarce", stock=2)
    gone = make_product(store, name="Gone", stock=0)
    page = client.get(f"/products/{plenty.slug}").get_data(as_text=True)
    assert "$12.34" in page and "In stock" in page and "Add to cart" in page
    assert "Only 2 left" in client.get(f"/products/{scarce.slug}").get_data(as_text=True)
    sold_out = client.get(f"/products/{gone.slug}").get_data(as_text=True)
    assert "Sold out" in sold_out and "Add to cart" not in sold_out
    assert client.get("/products/no-such-thing").status_code == 404


def test_cart_add_update_remove(shopper, client, product):
    assert shopper.add(product, 2).status_code == 303
    page = client.get("/cart").get_data(as_text=True)
    assert "Kenya Nyeri" in page and "$33.00" in page

    html = client.get("/cart").get_data(as_text=True)
    token = csrf_token(html)
    client.post("/cart/update", data={"csrf_token": token, "product_id": product.id,
                                      "quantity": 3})
    assert db.session.query(CartItem).one().quantity == 3
    client.post("/cart/update", data={"csrf_token": token, "product_id": product.id,
                                      "quantity": 0})
    assert db.session.query(CartItem).count() == 0
    assert "Your cart is empty" in client.get("/cart").get_data(as_text=True)


def test_cart_refuses_more_than_available_and_changes_nothing(shopper, client, store):
    scarce = make_product(store, name="Scarce", stock=3)
    shopper.add(scarce, 2)
    response = shopper.add(scarce, 2)  # 4 > 3
    assert response.status_code == 303
    assert db.session.query(CartItem).one().quantity == 2
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Only 3 of Scarce left." in follow


def test_cart_refuses_bad_quantities(shopper, store, product):
    for bad in (0, -1, 100, "two"):
        shopper.add(product, bad)
    assert db.session.query(CartItem).count() == 0


def test_cart_post_without_csrf_is_refused(client, product):
    response = client.post("/cart/add", data={"product_id": product.id, "quantity": 1})
    assert response.status_code == 400
    assert db.session.query(CartItem).count() == 0


