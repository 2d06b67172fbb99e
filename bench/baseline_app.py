"""The catalog benchmark's baseline: the least a Flask app must do to serve the shop's
catalog and product pages.

It sends THE SAME SQL the shop sends for its product list (24 products of a category, one
page) and for its product page (one product by slug, then its variants), through
SQLAlchemy Core on a small pool, and renders a minimal Jinja template. ``bench.catalog``
checks the statements against what the shop really sends (figure ``same_sql``): if the
shop's query changes, change them here. Everything else a page needs (store, categories,
counts, stock) the baseline looks up once at start: it is the floor, not a rival shop.

    DATABASE_URL=... gunicorn -w 4 'bench.baseline_app:from_env()'
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Flask, abort, request
from sqlalchemy import bindparam, create_engine, text

from shop.models.types import UTCDateTime
from shop.services.catalog.browse import COUNT_AHEAD

PER_PAGE = 24

HELD = ("(SELECT coalesce(sum(inventory_holds.quantity), :zero) AS coalesce_1 FROM "
         "inventory_holds WHERE inventory_holds.product_id = products.id AND "
         "inventory_holds.status = :active_hold AND inventory_holds.expires_at > :now) AS held")

IMAGE = ("{t}.stem AS image_stem, {t}.original AS image_original, {t}.width AS image_width, "
          "{t}.height AS image_height, {t}.alt AS image_alt")


def catalog_sql(dialect: str) -> str:
    """The shop's product list with a category filter: one page of products, the units each
    has on hold, the count of the category's products up to ``counted`` (the offset and
    ``COUNT_AHEAD`` past it) and each one's first image (``services.catalog.list_products``)."""
    return ("SELECT products.id, products.slug, products.name, products.price, "
            f"products.currency, products.stock_on_hand, {HELD}, "
            "(SELECT count(*) AS count_1 FROM (SELECT products_1.id AS id "
            "FROM products AS products_1 "
            "WHERE products_1.store_id = :store_id AND products_1.active IS "
            f"{_true(dialect)} AND products_1.category_id = :category_id "
            # SQLAlchemy writes SQLite's LIMIT with an OFFSET (of 0).
            f"LIMIT :counted{' OFFSET :zero' if dialect == 'sqlite' else ''}) AS capped) "
            "AS total, "
            f"{IMAGE.format(t='first_image')} "
            "FROM products LEFT OUTER JOIN product_images AS first_image ON "
            "first_image.product_id = products.id AND first_image.position = :position "
            "WHERE products.store_id = :store_id AND products.active IS "
            f"{_true(dialect)} AND products.category_id = :category_id "
            "ORDER BY products.name, products.id LIMIT :limit OFFSET :offset")


def product_sql(dialect: str) -> str:
    """The shop's product by slug, with its units on hold, its category and its images, one
    row each (``services.catalog.product_by_slug``)."""
    return ("SELECT products.id, products.slug, products.name, products.description, "
            f"products.price, products.currency, products.stock_on_hand, {HELD}, "
            "categories.id AS category_id, categories.slug AS category_slug, "
            f"categories.name AS category_name, {IMAGE.format(t='product_images')} "
            "FROM products LEFT OUTER JOIN categories "
            "ON categories.id = products.category_id LEFT OUTER JOIN product_images ON "
            "product_images.product_id = products.id WHERE products.store_id = :store_id "
            f"AND products.slug = :slug AND products.active IS {_true(dialect)} "
            "ORDER BY product_images.position")


def variants_sql(dialect: str) -> str:
    """The shop's variants on sale of the product, with the units each has on hold
    (``services.catalog.browse.product_by_slug``, its second statement)."""
    return ("SELECT product_variants.id, product_variants.sku, product_variants.name, "
            "product_variants.price, product_variants.stock_on_hand, (SELECT "
            "coalesce(sum(inventory_holds.quantity), :zero) AS coalesce_1 FROM inventory_holds "
            "WHERE inventory_holds.variant_id = product_variants.id AND "
            "inventory_holds.status = :active_hold AND inventory_holds.expires_at > :now) "
            "AS held FROM product_variants WHERE product_variants.product_id = :product_id "
            f"AND product_variants.active IS {_true(dialect)} "
            "ORDER BY product_variants.position, product_variants.id")


def page_window(page: int) -> dict:
    """A page's offset and how far its count goes (``services.catalog.browse``)."""
    offset = (page - 1) * PER_PAGE
    return {"offset": offset, "counted": offset + COUNT_AHEAD + 1}


def hold_params() -> dict:
    return {"zero": 0, "active_hold": "active", "now": datetime.now(UTC), "position": 0}


def _true(dialect: str) -> str:
    return "1" if dialect == "sqlite" else "true"


# An image's tag as the shop writes it for a picture of 1200 px or more (its srcset, size
# and alt), by string formatting: no url_for, no size arithmetic.
IMG = ('<img src="/media/products/{{ i.image_stem }}-{{ v }}.webp" alt="{{ i.image_alt }}" '
       'srcset="/media/products/{{ i.image_stem }}-card.webp 480w, '
       '/media/products/{{ i.image_stem }}-full.webp 1200w" sizes="50vw" '
       'width="{{ w }}" height="{{ (i.image_height * w) // i.image_width }}">')

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ title }}</title></head><body><main>
{% if products %}<p>{{ products[0].total }} products</p><ul>{% for p in products %}
<li>{% if p.image_stem %}{% with i = p, v = 'card', w = 480 %}IMG{% endwith %}{% endif %}
<a href="/products/{{ p.slug }}">{{ p.name }}</a> {{ p.price }} {{ p.currency }}
{{ p.stock_on_hand - p.held }}</li>
{% endfor %}</ul>{% elif images %}{% set product = images[0] %}<h1>{{ product.name }}</h1>
{% for i in images if i.image_stem %}{% with v = 'full', w = 1200 %}IMG{% endwith %}
{% endfor %}<p>{{ product.description }}</p>
<p>{{ product.price }} {{ product.currency }} {{ product.stock_on_hand - product.held }}</p>
{% for v in variants %}<label><input type="radio" name="variant" value="{{ v.id }}">
{{ v.name }} {{ v.price }} {{ v.stock_on_hand - v.held }} {{ v.sku }}</label>{% endfor %}
{% endif %}
</main></body></html>""".replace("IMG", IMG)


def create_app(database_url: str, store_slug: str = "main") -> Flask:
    app = Flask(__name__)
    # Autocommit, as the shop reads its pages (services.tx.read_alone): one round trip a
    # page, not BEGIN, the statement and ROLLBACK.
    engine = create_engine(database_url, pool_size=2, max_overflow=2,
                           isolation_level="AUTOCOMMIT")
    dialect = engine.dialect.name
    catalog, product, variants = (
        text(sql).bindparams(bindparam("now", type_=UTCDateTime))
        for sql in (catalog_sql(dialect), product_sql(dialect), variants_sql(dialect)))
    page_template = app.jinja_env.from_string(PAGE)  # compiled once, as Flask's loader would
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
        category_id = category_ids.get(request.args.get("category", ""))
        if category_id is None:
            abort(404)
        page = max(1, request.args.get("page", 1, type=int))
        with engine.connect() as conn:
            rows = conn.execute(catalog, {**hold_params(), "store_id": store_id,
                                          "category_id": category_id, "limit": PER_PAGE,
                                          **page_window(page)}).mappings().all()
        return page_template.render(title="Catalog", products=rows)

    @app.get("/products/<slug>")
    def show(slug: str):
        with engine.connect() as conn:
            rows = conn.execute(product, {**hold_params(), "store_id": store_id,
                                          "slug": slug}).mappings().all()
            if not rows:
                abort(404)
            options = conn.execute(variants, {**hold_params(), "product_id": rows[0]["id"]}
                                   ).mappings().all()
        return page_template.render(title=rows[0]["name"], products=None, images=rows,
                                    variants=options)

    return app


def from_env() -> Flask:
    """gunicorn's entry point: ``bench.baseline_app:from_env()``."""
    return create_app(os.environ["DATABASE_URL"], os.environ.get("SHOP_STORE_SLUG", "main"))
