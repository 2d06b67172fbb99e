"""Per-process, short-lived copies of the storefront's store row and category list.

Every storefront page needs the store (by its configured slug) and the catalog page also
the category menu. Both change only through ``flask shop seed``, except the store's country
(the checkout's default), which its owner sets in /admin/settings: that worker forgets its
copy at once (:func:`forget_store`), the others within the cache's lifetime.
Reading them on every request cost three of the catalog page's six queries
(docs/performance.md), so each worker keeps a copy for
``CATALOG_CACHE_SECONDS`` (default 30; 0 turns the cache off). Why that is safe:

- a change made by the seed command shows on every worker within that time;
- the store is handed out bound to the request's own session through
  ``Session.merge(..., load=False)`` (no query): the cached instance stays detached and is
  only copied from, so no ORM instance is ever shared between requests or threads;
- categories are handed out as frozen plain rows, never ORM instances;
- only what was found is kept: a store created after a miss shows at once.

Stores and categories are never deleted in production; tests wipe the database, so they
call :meth:`CatalogCache.clear`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import make_transient_to_detached

from ...extensions import db
from ...models import Category, Store


@dataclass(frozen=True)
class CategoryRow:
    id: int
    slug: str
    name: str


class CatalogCache:
    """Values by key, each kept ``seconds`` after it was loaded. One per app and process;
    a race between two threads only loads the same value twice."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self._entries: dict[tuple, tuple[float, object]] = {}

    def get(self, key: tuple, load: Callable[[], object]):
        if self.seconds <= 0:
            return load()
        now = self._clock()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        value = load()
        if value is not None and value != []:
            self._entries[key] = (now + self.seconds, value)
        return value

    def clear(self) -> None:
        self._entries.clear()

    def forget(self, key: tuple) -> None:
        self._entries.pop(key, None)


def _cache() -> CatalogCache:
    return current_app.extensions["catalog_cache"]


def _store_snapshot(slug: str) -> Store | None:
    row = db.session.execute(select(Store.id, Store.slug, Store.name, Store.currency,
                                    Store.country).where(Store.slug == slug)).first()
    if row is None:
        return None
    snapshot = Store(id=row.id, slug=row.slug, name=row.name, currency=row.currency,
                     country=row.country)
    make_transient_to_detached(snapshot)
    return snapshot


def store(slug: str) -> Store | None:
    """The store with ``slug``, as an instance of the current session."""
    snapshot = _cache().get(("store", slug), lambda: _store_snapshot(slug))
    return None if snapshot is None else db.session.merge(snapshot, load=False)


def forget_store(slug: str) -> None:
    _cache().forget(("store", slug))


def categories(store_id: int) -> list[CategoryRow]:
    """The store's categories by name."""
    def load():
        return [CategoryRow(c.id, c.slug, c.name) for c in db.session.execute(
            select(Category.id, Category.slug, Category.name)
            .where(Category.store_id == store_id).order_by(Category.name))]

    return list(_cache().get(("categories", store_id), load))


def category_by_slug(store_id: int, slug: str) -> CategoryRow | None:
    return next((c for c in categories(store_id) if c.slug == slug), None)
