"""The catalog page sorted and filtered (``?sort=``, ``?in_stock=1``, ``?min_price=`` and
``?max_price=`` in major units): orders, availability counted with live holds only, bad
values shown and left out (never an error page), the query kept by every page link, and on
PostgreSQL each sort of a category read from an index rather than a scan of the table."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, text

from shop.extensions import db
from shop.models import Category, HoldStatus, InventoryHold
from shop.models.types import utcnow

from ..factories import make_order, make_product


def names(page: str) -> list[str]:
    grid = page.split('class="product-grid"', 1)[1] if 'class="product-grid"' in page else ""
    return re.findall(r"<h2>([^<]+)</h2>", grid)


def links(page: str, rel: str) -> str | None:
    match = re.search(rf'rel="{rel}" href="([^"]+)"', page)
    return html.unescape(match.group(1)) if match else None


@pytest.fixture
def shelf(store):
    """Five products added in this order (ids grow), with their prices and stock."""
    return [make_product(store, name=name, price=price, stock=stock)
            for name, price, stock in (("Chai", 1200, 5), ("Assam", 900, 0),
                                       ("Matcha", 2500, 3), ("Bancha", 1200, 8),
                                       ("Darjeeling", 3000, 1))]


@pytest.mark.parametrize("sort,expected", [
    ("", ["Assam", "Bancha", "Chai", "Darjeeling", "Matcha"]),
    ("name", ["Assam", "Bancha", "Chai", "Darjeeling", "Matcha"]),
    ("price_asc", ["Assam", "Chai", "Bancha", "Matcha", "Darjeeling"]),
    ("price_desc", ["Darjeeling", "Matcha", "Bancha", "Chai", "Assam"]),
    ("newest", ["Darjeeling", "Bancha", "Matcha", "Assam", "Chai"]),
    ("cheapest", ["Assam", "Bancha", "Chai", "Darjeeling", "Matcha"]),  # unknown: default
])
def test_sort_orders(client, shelf, sort, expected):
    response = client.get(f"/?sort={sort}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert names(page) == expected
    shown = sort if sort in ("name", "price_asc", "price_desc", "newest") else "name"
    assert f'<option value="{shown}" selected>' in page


def test_price_range_in_major_units(client, shelf):
    page = client.get("/?min_price=12&max_price=25.00&sort=price_asc").get_data(as_text=True)
    assert names(page) == ["Chai", "Bancha", "Matcha"]
    assert "3 products" in page
    assert 'value="12"' in page and 'value="25.00"' in page  # the form shows what was asked
    assert names(client.get("/?max_price=9").get_data(as_text=True)) == ["Assam"]
    assert names(client.get("/?min_price=30").get_data(as_text=True)) == ["Darjeeling"]


def test_in_stock_counts_live_holds_only(client, store, shelf):
    chai, _assam, matcha, _bancha, darjeeling = shelf
    now = utcnow()
    order = make_order(store, chai)
    db.session.add_all([
        # Chai: 5 on hand, 5 held until later: nothing available.
        InventoryHold(product_id=chai.id, variant_id=chai.variants[0].id,
                      order_id=order.id, quantity=5,
                      status=HoldStatus.ACTIVE, expires_at=now + timedelta(minutes=10)),
        # Matcha: 3 on hand, a hold that lapsed a minute ago counts no more.
        InventoryHold(product_id=matcha.id, variant_id=matcha.variants[0].id,
                      order_id=order.id, quantity=3,
                      status=HoldStatus.ACTIVE, expires_at=now - timedelta(minutes=1)),
        # Darjeeling: 1 on hand, a released hold counts no more.
        InventoryHold(product_id=darjeeling.id, variant_id=darjeeling.variants[0].id,
                      order_id=order.id, quantity=1,
                      status=HoldStatus.RELEASED, expires_at=now + timedelta(minutes=10)),
    ])
    db.session.commit()
    page = client.get("/?in_stock=1").get_data(as_text=True)
    assert names(page) == ["Bancha", "Darjeeling", "Matcha"]
    assert "3 products" in page
    assert 'id="in_stock" name="in_stock" type="checkbox" value="1" checked' in page
    everything = client.get("/").get_data(as_text=True)
    assert len(names(everything)) == 5 and "Sold out" in everything
    both = client.get("/?in_stock=1&max_price=20&sort=price_desc").get_data(as_text=True)
    assert names(both) == ["Bancha"]


@pytest.mark.parametrize("query,field,message", [
    ("min_price=abc", "min_price", "The lowest price was left out: enter an amount like 12.50."),
    ("max_price=-3", "max_price", "The highest price was left out: enter an amount of 0 or more."),
    ("max_price=99999999999999999999999", "max_price",
     "The highest price was left out: that amount is too large."),
    ("min_price=1.234", "min_price", "The lowest price was left out: use at most 2 decimals."),
    ("min_price=30&max_price=10", "max_price",
     "The highest price is below the lowest: both were left out."),
])
def test_bad_prices_are_shown_and_left_out(client, shelf, query, field, message):
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]+)</p>', page)
    assert error and html.unescape(error.group(1)) == message
    assert f'aria-describedby="{field}-error"' in page
    assert len(names(page)) == 5  # nothing was filtered by what was left out


def test_other_bad_parameters_never_make_an_error_page(client, shelf):
    for query in ("sort[]=x", "in_stock=2", "min_price=%00", "max_price=" + "9" * 3000,
                  "sort=%F0%9F%92%A5", "min_price=1&min_price=2"):
        assert client.get(f"/?{query}").status_code == 200, query


def test_pages_keep_the_query(client, store, small_pages):
    tea = Category(store_id=store.id, slug="tea", name="Tea")
    db.session.add(tea)
    db.session.commit()
    for n in range(7):
        make_product(store, name=f"Tea {n}", price=1000 + n * 100, stock=n, category=tea)
    first = client.get("/?category=tea&sort=price_desc&in_stock=1&min_price=10&q=tea")
    page = first.get_data(as_text=True)
    assert names(page) == ["Tea 6", "Tea 5"] and "Page 1 of 3" in page
    expected = ("category=tea&q=tea&sort=price_desc&in_stock=1&min_price=10.00")
    assert links(page, "next") == f"/?page=2&{expected}"
    second = client.get(links(page, "next")).get_data(as_text=True)
    assert names(second) == ["Tea 4", "Tea 3"]
    assert links(second, "prev") == f"/?page=1&{expected}"
    assert links(second, "next") == f"/?page=3&{expected}"
    third = client.get(links(second, "next")).get_data(as_text=True)
    assert names(third) == ["Tea 2", "Tea 1"]  # Tea 0 has no stock
    # The category links keep the sort and filters, the form keeps category and search.
    assert 'href="/?category=tea&amp;sort=price_desc&amp;in_stock=1&amp;min_price=10.00"' in page
    assert '<input type="hidden" name="category" value="tea">' in page
    assert '<input type="hidden" name="q" value="tea">' in page


@pytest.fixture
def small_pages(clean_app, monkeypatch):
    monkeypatch.setitem(clean_app.config, "PRODUCTS_PER_PAGE", 2)


SORTS = ("name", "price_asc", "price_desc", "newest")


def test_postgres_reads_each_sort_of_a_category_from_an_index(app, clean_app, store):
    """EXPLAIN of the page's statement for each sort, on a category of a catalog large enough
    that a scan and a sort would be chosen if no index gave the order: no Seq Scan of the
    products and no Sort node (the LIMIT stops the index walk after a page)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the plans are PostgreSQL's (TEST_DATABASE_URL)")
    from shop.services.catalog import browse

    categories = [Category(store_id=store.id, slug=f"c{n}", name=f"C{n}") for n in range(8)]
    db.session.add_all(categories)
    db.session.commit()
    db.session.execute(text(
        "INSERT INTO products (store_id, category_id, slug, name, description, price, "
        "currency, stock_on_hand, active) SELECT :store, :first + n % 8, 'p-' || n, "
        "'Product ' || md5(n::text), '', 100 + (n * 37) % 5000, 'USD', n % 5, n % 50 <> 0 "
        "FROM generate_series(1, 20000) AS n"),
        {"store": store.id, "first": categories[0].id})
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE products"))
        conn.execute(text("ANALYZE product_images"))
    with db.engine.connect() as conn:
        # The page's own statement and parameters, with EXPLAIN in front as it is sent.
        event.listen(conn, "before_cursor_execute",
                     lambda *args: (f"EXPLAIN {args[2]}", args[3]), retval=True)
        for sort in SORTS:
            shape = browse.Shape(True, sort, False, False, False)
            params = {"store_id": store.id, "category_id": categories[3].id, "limit": 24,
                      "offset": 48, "counted": 48 + browse.COUNT_AHEAD + 1,
                      "holds_at": utcnow()}
            plan = "\n".join(row[0] for row in conn.execute(browse._page_statement(shape),
                                                             params))
            assert "Seq Scan on products" not in plan, (sort, plan)
            assert "Sort" not in plan, (sort, plan)
            assert "Index Scan" in plan and "on products" in plan, (sort, plan)


def test_a_large_category_counts_a_window_past_the_page(client, store, small_pages,
                                                         monkeypatch):
    """A category's count stops COUNT_AHEAD products past the page (a million-product
    catalog counted all 125 000 of a category on every page): the page says "more than"
    and still links to the next page; the last pages count exactly."""
    from shop.services.catalog import browse

    monkeypatch.setattr(browse, "COUNT_AHEAD", 3)
    for n in range(9):
        make_product(store, name=f"Mug {n}")
    first = client.get("/").get_data(as_text=True)
    assert names(first) == ["Mug 0", "Mug 1"]
    assert "More than 3 products" in first and "Page 1 of more than 2" in first
    assert links(first, "next") == "/?page=2"
    fourth = client.get("/?page=4").get_data(as_text=True)  # counts up to 6 + 3 = 9
    assert names(fourth) == ["Mug 6", "Mug 7"]
    assert "9 products" in fourth and "Page 4 of 5" in fourth
    last = client.get("/?page=99").get_data(as_text=True)  # past the end: the last page
    assert names(last) == ["Mug 8"] and "Page 5 of 5" in last and links(last, "next") is None
