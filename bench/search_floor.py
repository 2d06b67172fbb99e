"""The search benchmark's floor: the least a Flask app must do to serve the shop's search
results and its category page at catalog scale.

It sends THE SAME SQL the shop sends for a search's first page (best match first, 24
products, PostgreSQL: ``services.catalog.search``) and for a category page (the catalog
benchmark's ``baseline_app.catalog_sql``), through SQLAlchemy Core on a small pool, and
renders the catalog baseline's minimal template. ``bench.search`` checks the statements
against what the shop really sends (figure ``same_sql``): if the shop's query changes,
change them here.

    DATABASE_URL=... gunicorn -w 4 'bench.search_floor:from_env()'
"""

from __future__ import annotations

import os

from flask import Flask, abort, request
from sqlalchemy import bindparam, create_engine, text

from bench.baseline_app import (
    HELD,
    IMAGE,
    PAGE,
    PER_PAGE,
    catalog_sql,
    hold_params,
    page_window,
)
from shop.domain.search_text import has_prefix, parse_search, ts_query
from shop.models.types import UTCDateTime
from shop.services.catalog.search import MOST

_QUERY = "to_tsquery('simple', shop_fold(:tsquery))"


def search_sql() -> str:
    """A search's page on PostgreSQL, best match first among the first 1 001 matches
    found, counted from the same set (``services.catalog.search``), with no filter."""
    return ("WITH capped AS (SELECT products.id AS id, products.name AS name, "
            "products.price AS price, ts_rank('{0.01, 0.02, 0.05, 1.0}'::float4[], "
            f"products.search_vector, {_QUERY}) AS rank FROM products WHERE "
            f"(products.search_vector @@ {_QUERY}) AND products.store_id = :store_id AND "
            "products.active IS true LIMIT :most_and_one) "
            "SELECT products.id, products.slug, products.name, products.price, "
            f"products.currency, products.stock_on_hand, {HELD}, "
            "(SELECT count(*) AS count_1 FROM capped) AS total, "
            f"{IMAGE.format(t='first_image')} "
            "FROM products JOIN (SELECT capped.id AS id, capped.name AS name, "
            "capped.price AS price, capped.rank AS rank FROM capped "
            "ORDER BY capped.rank DESC, capped.id LIMIT :limit OFFSET :offset) AS hits "
            "ON hits.id = products.id LEFT OUTER JOIN product_images AS first_image "
            "ON first_image.product_id = products.id AND first_image.position = :position "
            "ORDER BY hits.rank DESC, hits.id")


def search_rows(conn, statement, params: dict, words: tuple[str, ...]) -> list:
    """As the shop searches (``services.catalog.search._page``): the words whole first, and
    again with the last one a prefix unless that found more than ``MOST``."""
    if has_prefix(words):
        rows = conn.execute(statement, {**params, "tsquery": ts_query(words, True)}
                            ).mappings().all()
        if rows and rows[0]["total"] > MOST:
            return rows
    return conn.execute(statement, {**params, "tsquery": ts_query(words)}).mappings().all()


def create_app(database_url: str, store_slug: str = "main") -> Flask:
    app = Flask(__name__)
    engine = create_engine(database_url, pool_size=2, max_overflow=2,
                           isolation_level="AUTOCOMMIT")
    # As the shop runs its search (services.catalog.search.postgres.read): never prepared,
    # so planned for its words every time.
    unprepared = create_engine(database_url, pool_size=2, max_overflow=2,
                               isolation_level="AUTOCOMMIT",
                               connect_args={"prepare_threshold": None})
    search, catalog = (text(sql).bindparams(bindparam("now", type_=UTCDateTime))
                       for sql in (search_sql(), catalog_sql("postgresql")))
    page_template = app.jinja_env.from_string(PAGE)
    with engine.connect() as conn:
        store_id = conn.execute(text("SELECT id FROM stores WHERE slug = :slug"),
                                {"slug": store_slug}).scalar_one()
        category_ids = dict(conn.execute(
            text("SELECT slug, id FROM categories WHERE store_id = :id"), {"id": store_id}).all())

    @app.get("/healthz")
    def healthz():
        return "ok"

    @app.get("/")
    def index():
        page = max(1, request.args.get("page", 1, type=int))
        params = {**hold_params(), "store_id": store_id, "limit": PER_PAGE,
                  "offset": (page - 1) * PER_PAGE}
        terms = parse_search(request.args.get("q", ""))
        if terms:
            with unprepared.connect() as conn:
                rows = search_rows(conn, search, {**params, "most_and_one": MOST + 1},
                                   terms.words)
            return page_template.render(title="Catalog", products=rows)
        category_id = category_ids.get(request.args.get("category", ""))
        if category_id is None:
            abort(404)
        with engine.connect() as conn:
            rows = conn.execute(catalog, {**params, **page_window(page),
                                          "category_id": category_id}).mappings().all()
        return page_template.render(title="Catalog", products=rows)

    return app


def from_env() -> Flask:
    """gunicorn's entry point: ``bench.search_floor:from_env()``."""
    return create_app(os.environ["DATABASE_URL"], os.environ.get("SHOP_STORE_SLUG", "main"))
