"""The catalog and product pages send as many queries for a catalog ten times the size
(docs/performance.md), and still count holds exactly as the stock rules say."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shop.extensions import db
from shop.models import Category, HoldStatus, InventoryHold, ProductImage
from shop.models.types import utcnow

from ..conftest import wipe
from ..factories import make_order, make_product, make_store
from ..statements import recorded_statements

# The last is past the last page (it shows the last): a count, then that page.
PAGES = ("/", "/?category=tea", "/?category=tea&page=2", "/?q=product", "/?page=2",
         "/?category=tea&page=99", "/?category=tea&sort=newest&page=2",
         "/?sort=price_desc&in_stock=1&min_price=1&max_price=100")


def fill(store, count: int) -> list:
    tea = Category(store_id=store.id, slug="tea", name="Tea")
    coffee = Category(store_id=store.id, slug="coffee", name="Coffee")
    db.session.add_all([tea, coffee])
    db.session.commit()
    products = [make_product(store, name=f"Product {n:03d}", category=(tea, coffee)[n % 2],
                             stock=n % 7) for n in range(count)]
    # Pictures (rows only: the pages are counted, not the files): none, one, or two each.
    db.session.add_all(ProductImage(product_id=p.id, position=position, stem=f"k{p.id}-{position}",
                                    original=f"originals/k{p.id}.png", width=800, height=600,
                                    alt=p.name)
                       for n, p in enumerate(products) for position in range(n % 3))
    db.session.commit()
    return products


def queries_per_page(client, products) -> dict[str, int]:
    paths = {**{path: path for path in PAGES}, "product": f"/products/{products[1].slug}"}
    for path in paths.values():  # a worker's first request also reads store and categories
        assert client.get(path).status_code == 200, path
    counts = {}
    for name, path in paths.items():
        with recorded_statements() as statements:
            assert client.get(path).status_code == 200, path
        counts[name] = len(statements)
    return counts


@pytest.fixture
def small_pages(clean_app, monkeypatch):
    monkeypatch.setitem(clean_app.config, "PRODUCTS_PER_PAGE", 2)


def test_page_queries_do_not_grow_with_the_catalog(app, client, store, small_pages):
    few = queries_per_page(client, fill(store, 5))
    wipe(app)
    many = queries_per_page(client, fill(make_store(), 50))
    assert few == many


def test_a_page_past_the_last_shows_the_last(client, store, small_pages):
    fill(store, 5)  # three of them tea: two pages of two
    page = client.get("/?category=tea&page=9").get_data(as_text=True)
    assert "3 products" in page and "Page 2 of 2" in page and "Product 004" in page
    assert 'rel="prev" href="/?page=1&amp;category=tea"' in page and 'rel="next"' not in page
    nothing = client.get("/?q=no-such-thing&page=4").get_data(as_text=True)
    assert "0 products" in nothing and "No products match" in nothing
    assert 'class="pagination"' not in nothing


def cold_queries(app, client, products) -> dict[str, int]:
    """A worker's first request: the page's queries and the store's and categories'."""
    counts = {}
    for name, path in (("catalog", "/?category=tea&page=2"),
                       ("product", f"/products/{products[0].slug}")):
        app.extensions["catalog_cache"].clear()
        with recorded_statements() as statements:
            assert client.get(path).status_code == 200, path
        counts[name] = len(statements)
    return counts


def test_a_cold_worker_reads_as_much_for_any_catalog(app, client, store, small_pages):
    few = cold_queries(app, client, fill(store, 5))
    wipe(app)
    many = cold_queries(app, client, fill(make_store(), 50))
    assert few == many


def test_pages_subtract_active_holds_only(client, store):
    product = make_product(store, name="Held Beans", stock=6)
    order = make_order(store, product)
    now = utcnow()
    db.session.add_all([
        InventoryHold(product_id=product.id, variant_id=product.variants[0].id,
                      order_id=order.id, quantity=2,
                      status=HoldStatus.ACTIVE, expires_at=now + timedelta(minutes=10)),
        InventoryHold(product_id=product.id, variant_id=product.variants[0].id,
                      order_id=order.id, quantity=3,
                      status=HoldStatus.ACTIVE, expires_at=now - timedelta(minutes=1)),
        InventoryHold(product_id=product.id, variant_id=product.variants[0].id,
                      order_id=order.id, quantity=3,
                      status=HoldStatus.RELEASED, expires_at=now + timedelta(minutes=10)),
    ])
    db.session.commit()
    assert "Only 4 left" in client.get(f"/products/{product.slug}").get_data(as_text=True)
    assert "Only 4 left" in client.get("/").get_data(as_text=True)
    db.session.add(InventoryHold(product_id=product.id, variant_id=product.variants[0].id,
                                 order_id=order.id, quantity=4,
                                 status=HoldStatus.ACTIVE,
                                 expires_at=now + timedelta(minutes=10)))
    db.session.commit()
    page = client.get(f"/products/{product.slug}").get_data(as_text=True)
    assert "Sold out" in page and "Add to cart" not in page
    assert "Sold out" in client.get("/").get_data(as_text=True)


def test_a_warm_page_reads_without_a_transaction(client, store):
    """The catalog and product pages read in autocommit (``services.tx.read_alone``): no
    BEGIN and ROLLBACK around their reads. Our BEGIN is visible on SQLite, where we send
    it ourselves; psycopg sends PostgreSQL's on its own, so there it is not seen here."""
    slug = fill(store, 3)[0].slug
    for path in ("/?category=tea", f"/products/{slug}"):
        assert client.get(path).status_code == 200  # store and categories read once
        with recorded_statements(control=True) as statements:
            assert client.get(path).status_code == 200
        sent = [statement.split(None, 1)[0].upper() for statement in statements]
        assert sent and set(sent) == {"SELECT"}, (path, sent)
