"""Catalog search on the database under test (SQLite's FTS5, or PostgreSQL's tsvector and
pg_trgm with TEST_DATABASE_URL): what ranks first, misspellings, accents, prefixes, several
words, whose products are found, and what the page says when nothing is."""

from __future__ import annotations

import pytest

from shop.domain.catalog_query import CatalogQuery
from shop.extensions import db
from shop.models import Category, Product
from shop.services.catalog.search import search_products

from ..factories import make_store

_seq = iter(range(1, 10_000))


def add(store, name: str, description: str = "", *, active: bool = True, price: int = 1000,
        category: Category | None = None) -> Product:
    product = Product(store_id=store.id, slug=f"s-{next(_seq)}", name=name,
                      description=description, price=price, currency="USD", stock_on_hand=5,
                      active=active, category_id=category.id if category else None)
    db.session.add(product)
    db.session.commit()
    return product


def names(store, text: str, **kwargs) -> list[str]:
    found = search_products(store_id=store.id, text=text, page=1, per_page=24, **kwargs)
    return [card.name for card in found.page.products]


@pytest.fixture
def shelf(store):
    """A small coffee shop's shelf."""
    for name, description in (
        ("Kettle", "Pour with care; a grinder is its best friend. Grinder! Grinder."),
        ("Burr Grinder", "Conical burrs, forty steps."),
        ("Espresso Blend", "Dark and sweet."),
        ("Café de Olla", "Cinnamon and piloncillo."),
        ("Green Tea Sencha", "Steamed leaves from Shizuoka."),
        ("Green Coffee Beans", "For home roasting."),
        ("Black Tea Assam", "Malty and strong."),
    ):
        add(store, name, description)
    return store


def test_a_word_in_the_name_ranks_above_the_same_word_in_the_description(shelf):
    assert names(shelf, "grinder") == ["Burr Grinder", "Kettle"]


def test_a_prefix_finds_the_whole_word(shelf):
    assert names(shelf, "grind") == ["Burr Grinder", "Kettle"]
    assert names(shelf, "espr") == ["Espresso Blend"]


def test_a_misspelt_word_finds_the_closest_one_and_says_so(shelf):
    found = search_products(store_id=shelf.id, text="expreso", page=1, per_page=24)
    assert [card.name for card in found.page.products] == ["Espresso Blend"]
    assert found.respelt == "espresso"
    right = search_products(store_id=shelf.id, text="espresso", page=1, per_page=24)
    assert right.respelt is None and right.page.total == 1


@pytest.mark.parametrize("typed", ["cafe", "Café", "CAFÉ de olla", "olla"])
def test_accents_are_neither_needed_nor_in_the_way(shelf, typed):
    assert names(shelf, typed) == ["Café de Olla"]


def test_accented_query_finds_a_plain_name(store):
    add(store, "Creme Brulee Syrup")
    assert names(store, "crème brûlée") == ["Creme Brulee Syrup"]


def test_every_word_must_match(shelf):
    assert names(shelf, "green tea") == ["Green Tea Sencha"]
    assert sorted(names(shelf, "tea")) == ["Black Tea Assam", "Green Tea Sencha"]
    assert names(shelf, "tea green") == ["Green Tea Sencha"]


def test_only_the_stores_active_products(shelf):
    add(shelf, "Retired Grinder", active=False)
    other = make_store("other")
    add(other, "Hand Grinder")
    assert names(shelf, "grinder") == ["Burr Grinder", "Kettle"]
    assert names(other, "grinder") == ["Hand Grinder"]
    # A misspelling is not corrected into another store's words.
    assert names(other, "sencah") == []


def test_an_edited_product_is_found_by_its_new_words_only(shelf):
    kettle = db.session.query(Product).filter_by(name="Kettle").one()
    kettle.name, kettle.description = "Gooseneck Kettle", "Slow pour."
    db.session.commit()
    assert names(shelf, "gooseneck") == ["Gooseneck Kettle"]
    assert names(shelf, "grinder") == ["Burr Grinder"]
    db.session.delete(kettle)
    db.session.commit()
    assert names(shelf, "gooseneck") == []


def test_filters_and_sorts_apply_to_the_matches(store):
    tea = Category(store_id=store.id, slug="tea", name="Tea")
    db.session.add(tea)
    db.session.commit()
    add(store, "Tea Cup", price=500)
    add(store, "Tea Pot", price=3000, category=tea)
    add(store, "Tea Tin", price=1500, category=tea)
    assert names(store, "tea", category_id=tea.id) == ["Tea Pot", "Tea Tin"]  # a tie: by id
    cheap_first = CatalogQuery(sort="price_asc", searching=True)
    assert names(store, "tea", query=cheap_first) == ["Tea Cup", "Tea Tin", "Tea Pot"]
    capped = CatalogQuery(sort="price_desc", max_price=2000, searching=True)
    assert names(store, "tea", query=capped) == ["Tea Tin", "Tea Cup"]


@pytest.mark.parametrize("typed", [
    '"', "*", "NEAR(", "tea OR coffee", "a' & b:*", "green -tea", "^tea", "(tea", "!!!",
    "tea\x00", "col:tea", "name:tea", "'", "''", "\\", "%", "_",
])
def test_query_syntax_typed_is_only_words(shelf, typed):
    found = search_products(store_id=shelf.id, text=typed, page=1, per_page=24)
    assert all("Tea" in card.name for card in found.page.products)


def test_paging_keeps_the_query(client, store, monkeypatch):
    monkeypatch.setitem(client.application.config, "PRODUCTS_PER_PAGE", 2)
    for n in range(5):
        add(store, f"Mug {n}")
    add(store, "Saucer")
    first = client.get("/?q=mug").get_data(as_text=True)
    assert "5 products" in first and "Page 1 of 3" in first and "Saucer" not in first
    assert 'rel="next" href="/?page=2&amp;q=mug"' in first
    last = client.get("/?q=mug&page=9").get_data(as_text=True)
    assert "Page 3 of 3" in last and 'rel="prev" href="/?page=2&amp;q=mug"' in last


def test_no_results_page_helps(client, shelf):
    db.session.add(Category(store_id=shelf.id, slug="tea", name="Tea Leaves"))
    db.session.commit()
    response = client.get("/?q=teapot")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "No products match “teapot”" in page and "0 products" in page
    assert "Check the spelling" in page and 'href="/?category=tea">Tea Leaves</a>' in page
    in_category = client.get("/?q=teapot&category=tea").get_data(as_text=True)
    assert "in Tea Leaves" in in_category and 'href="/?q=teapot">Search all products' in \
        in_category


def test_a_misspelling_shows_what_was_searched_instead(client, shelf):
    page = client.get("/?q=expreso").get_data(as_text=True)
    assert "Showing results for “<strong>espresso</strong>”" in page
    assert "Espresso Blend" in page and "1 product" in page


@pytest.mark.parametrize("typed", ["%22*()", "!!!", "%26%26%26", "---", "%E2%80%94"])
def test_punctuation_only_is_a_helpful_page(client, shelf, typed):
    response = client.get(f"/?q={typed}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There was nothing to search for" in page and "0 products" in page


def test_a_very_long_query_is_cut_and_said_so(client, shelf):
    response = client.get("/?q=" + "green%20tea%20" * 100)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "only its first words were used" in page and "Green Tea Sencha" in page
    one_word = client.get("/?q=" + "x" * 1000)
    assert one_word.status_code == 200
    assert "No products match" in one_word.get_data(as_text=True)


def test_relevance_is_a_search_sort_only(client, shelf):
    search = client.get("/?q=tea").get_data(as_text=True)
    assert '<option value="relevance" selected>Best match</option>' in search
    browse = client.get("/?sort=relevance").get_data(as_text=True)
    assert "relevance" not in browse and '<option value="name" selected>' in browse


@pytest.fixture
def most_three(monkeypatch):
    """Rank and count at most three matches (statements are built once: built again)."""
    from shop.services.catalog import search

    def rebuild():
        search._page_statement.cache_clear()
        search._count_statement.cache_clear()

    rebuild()
    monkeypatch.setattr(search, "MOST", 3)
    yield
    monkeypatch.undo()
    rebuild()


def test_past_the_most_ranked_the_page_says_more(client, store, most_three):
    for n in range(5):
        add(store, f"Mug {n}")
    found = search_products(store_id=store.id, text="mug", page=9, per_page=2)
    assert found.more and found.page.total == 3 and found.page.pages == 2
    # Which three were found first is the database's choice: one of them is on page 2.
    assert len(found.page.products) == 1 and found.page.products[0].name.startswith("Mug")
    page = client.get("/?q=mug").get_data(as_text=True)
    assert "More than 3 products: the best matches among the first 3 found." in page
    exact = search_products(store_id=store.id, text="mug 4", page=1, per_page=2)
    assert not exact.more and exact.page.total == 1


def test_whole_words_first_when_they_alone_are_more_than_ranked(client, store, most_three):
    """The last word whole first: when that finds more than MOST, those are ranked (the
    prefix's range of the index is never merged); otherwise the prefix finds the rest."""
    for n in range(4):
        add(store, f"Bright Mug {n}")
    add(store, "Bright Mugful", price=100)
    add(store, "Green Mugful")
    many = search_products(store_id=store.id, text="bright mug", page=1, per_page=10)
    assert many.more and all(p.name.startswith("Bright Mug ") for p in many.page.products)
    few = search_products(store_id=store.id, text="green mug", page=1, per_page=10)
    assert not few.more and [p.name for p in few.page.products] == ["Green Mugful"]
    # Another sort walks every match in its order, the prefix's included.
    cheapest = search_products(store_id=store.id, text="bright mug", page=1, per_page=10,
                               query=CatalogQuery(sort="price_asc", searching=True))
    assert cheapest.page.products[0].name == "Bright Mugful"
