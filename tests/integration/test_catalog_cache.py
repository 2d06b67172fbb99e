"""The per-process copies of the store and its categories (services/catalog/cache.py)."""

from __future__ import annotations

import pytest

from shop.extensions import db
from shop.models import Category, Store
from shop.services.catalog import cache as catalog_cache
from shop.services.catalog.cache import CatalogCache


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(clean_app, monkeypatch):
    clock = Clock()
    monkeypatch.setitem(clean_app.extensions, "catalog_cache", CatalogCache(30, clock=clock))
    return clock


def test_each_request_gets_its_own_session_bound_store(clean_app, store, clock):
    # A new app context, as each request of a server has: its own database session.
    with clean_app.app_context(), clean_app.test_request_context():
        first = catalog_cache.store("main")
        assert first in db.session and first.id == store.id
    with clean_app.app_context(), clean_app.test_request_context():
        second = catalog_cache.store("main")
        assert second in db.session and first not in db.session
        assert (second.slug, second.name, second.currency) == ("main", store.name, "USD")


def test_changes_show_once_the_copy_expires(clean_app, store, clock):
    db.session.add(Category(store_id=store.id, slug="tea", name="Tea"))
    db.session.commit()
    with clean_app.test_request_context():
        assert [c.slug for c in catalog_cache.categories(store.id)] == ["tea"]
        assert catalog_cache.store("main").name == store.name
    db.session.add(Category(store_id=store.id, slug="cocoa", name="Cocoa"))
    db.session.get(Store, store.id).name = "Renamed"
    db.session.commit()
    with clean_app.test_request_context():
        assert [c.slug for c in catalog_cache.categories(store.id)] == ["tea"]
        clock.now += 31
        assert [c.slug for c in catalog_cache.categories(store.id)] == ["cocoa", "tea"]
        assert catalog_cache.store("main").name == "Renamed"
        assert catalog_cache.category_by_slug(store.id, "cocoa").name == "Cocoa"


def test_a_missing_store_is_not_remembered(clean_app, clock):
    with clean_app.test_request_context():
        assert catalog_cache.store("main") is None
    db.session.add(Store(slug="main", name="New", currency="USD"))
    db.session.commit()
    with clean_app.test_request_context():
        assert catalog_cache.store("main").name == "New"


def test_zero_seconds_turns_the_cache_off():
    loads = []
    cache = CatalogCache(0)
    for _ in range(2):
        cache.get(("k",), lambda: loads.append(1) or "value")
    assert len(loads) == 2
