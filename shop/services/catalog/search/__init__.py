"""Search of the storefront's catalog: one interface, ``search_products``; the database's
own full-text search behind it, picked by dialect (``postgres``: a weighted tsvector and
pg_trgm; ``sqlite``: FTS5 and bm25). Migration 0017_search builds both schemas.

Only the store's active products are searched, with the catalog page's filters (category,
price, in stock) and sorts, best match first by default: a word in the name counts well
above the same word in the description. Every word must match, the last one also as a
prefix from three letters (best match tries it whole first: ``_page``). When nothing
matches, the misspelt words are replaced by the catalog's closest ones (each backend finds
candidates its own way) and, if that finds products, the page shows them and says what
was searched for instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from types import ModuleType

from sqlalchemy import and_, bindparam, func, select

from ....domain.catalog_query import SEARCH_SORT, CatalogQuery
from ....domain.search_text import SearchTerms, has_prefix, parse_search, respell
from ....extensions import db
from ....models import Product
from ...inventory.holds import held_column
from ..browse import (
    FIRST_IMAGE,
    ORDER,
    ProductPage,
    Shape,
    card,
    filters,
    image_columns,
    pages_of,
    shape_and_params,
)
from . import postgres, sqlite

_BACKENDS: dict[str, ModuleType] = {"postgresql": postgres, "sqlite": sqlite}
MOST = 1000  # matches shown: past it the page says "more than 1,000"


@dataclass(frozen=True)
class SearchPage:
    """A page of a search's results, what was searched for and, when the words typed found
    nothing but close ones did, those (``respelt``: "Showing results for ...")."""

    terms: SearchTerms
    page: ProductPage
    respelt: str | None = None
    more: bool = False  # more matches than were ranked and counted (MOST)


def search_products(
    *, store_id: int, text: str, page: int, per_page: int, category_id: int | None = None,
    query: CatalogQuery | None = None,
) -> SearchPage:
    """One page of the store's active products matching ``text`` (and the query's filters),
    in the query's order (best match first unless asked otherwise). A page past the last
    shows the last. A text with no word in it finds nothing and searches nothing."""
    terms = parse_search(text)
    if not terms:
        return SearchPage(terms, ProductPage([], 1, 1, 0))
    backend = _BACKENDS[db.engine.dialect.name]
    shape, params = shape_and_params(store_id=store_id, per_page=per_page,
                                     category_id=category_id,
                                     query=query or CatalogQuery(sort=SEARCH_SORT))
    found, more = _page(backend, shape, params, terms.words, max(1, page), per_page)
    if found.total:
        return SearchPage(terms, found, more=more)
    near = respell(terms.words, lambda word: backend.neighbours(store_id, word))
    if near == terms.words:
        return SearchPage(terms, found)
    respelt, more = _page(backend, shape, params, near, 1, per_page)
    return SearchPage(terms, respelt, " ".join(near) if respelt.total else None, more)


def _page(backend: ModuleType, shape: Shape, params: dict, words: tuple[str, ...],
          page: int, per_page: int) -> tuple[ProductPage, bool]:
    """A page of the matches, and whether there are more than ``MOST``."""
    if shape.sort == SEARCH_SORT and has_prefix(words):
        # Whole words first: when they alone find more than MOST, the first MOST found
        # are ranked as they would be among the prefix's (every one is a match of what
        # was typed, a whole word at that). A prefix merges a range of the index and can
        # skip nothing: two common words cost 3-5 times the CPU with the last one a
        # prefix (24 against 7.5 ms for "bright espresso", docs/performance.md, issue 23).
        found, more = _matches(backend, shape, {**params, **backend.params(words, True)},
                               page, per_page)
        if more:
            return found, more
    return _matches(backend, shape, {**params, **backend.params(words)}, page, per_page)


def _matches(backend: ModuleType, shape: Shape, params: dict, page: int,
             per_page: int) -> tuple[ProductPage, bool]:
    rows = _rows(backend, shape, params, page, per_page)
    total = rows[0].total if rows else 0
    if not rows and page > 1:  # past the last page: show the last
        total = backend.read(_count_statement(backend, shape), params)[0][0]
        page = pages_of(min(total, MOST), per_page)
        rows = _rows(backend, shape, params, page, per_page) if total else []
    shown = min(total, MOST)
    return (ProductPage([card(row) for row in rows], page, pages_of(shown, per_page), shown),
            total > MOST)


def _rows(backend: ModuleType, shape: Shape, params: dict, page: int, per_page: int) -> list:
    offset = (page - 1) * per_page  # no page reaches past the MOST shown
    return backend.read(_page_statement(backend, shape),
                      {**params, "offset": offset, "limit": max(0, min(per_page, MOST - offset))})


@cache
def _count_statement(backend: ModuleType, shape: Shape):
    capped = (backend.matching(select(Product.id)).where(*filters(Product, shape))
              .limit(MOST + 1).subquery("capped"))
    return select(func.count()).select_from(capped)


@cache
def _page_statement(backend: ModuleType, shape: Shape):
    # Best match first ranks the first MOST (+1) matches found, not all of them: a rank
    # needs each match's row, and a common word matches tens of thousands of a million
    # products (0.4-1.5 s to rank them all, docs/performance.md). The same capped set is
    # counted: one index scan for both. Another sort walks all the matches in its order.
    # Either way the matches are cut to a page before the page's rows get their card (the
    # units held now, the first image).
    rank = backend.rank().label("rank")
    capped = (backend.matching(select(Product.id, Product.name, Product.price, rank))
              .where(*filters(Product, shape)).limit(MOST + 1).cte("capped"))
    total = select(func.count()).select_from(capped).scalar_subquery().label("total")
    if shape.sort == SEARCH_SORT:
        matches = select(capped).order_by(capped.c.rank.desc(), capped.c.id)
    else:
        matches = (backend.matching(select(Product.id, Product.name, Product.price, rank))
                   .where(*filters(Product, shape)).order_by(*ORDER[shape.sort](Product)))
    hits = matches.limit(bindparam("limit")).offset(bindparam("offset")).subquery("hits")
    order = ((hits.c.rank.desc(), hits.c.id) if shape.sort == SEARCH_SORT
             else ORDER[shape.sort](hits.c))
    return (select(Product.id, Product.slug, Product.name, Product.price, Product.currency,
                   Product.stock_on_hand, held_column(), total, *image_columns(FIRST_IMAGE))
            .join(hits, hits.c.id == Product.id)
            .outerjoin(FIRST_IMAGE, and_(FIRST_IMAGE.product_id == Product.id,
                                         FIRST_IMAGE.position == 0))
            .order_by(*order))
