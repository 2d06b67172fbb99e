from flask import abort, current_app, render_template, request

from ..domain.catalog_query import parse_catalog_query
from ..links import external_url
from ..services.catalog import browse as catalog
from ..services.catalog import cache as catalog_cache
from ..services.catalog.search import search_products
from ..services.catalog.seo import product_json_ld
from ..web import current_store, query_page
from . import bp


@bp.get("/")
def index():
    store = current_store()
    category_slug = request.args.get("category", "")
    categories = catalog_cache.categories(store.id)
    category = next((c for c in categories if c.slug == category_slug), None)
    if category_slug and category is None:
        abort(404, description="There is no such category.")
    text = request.args.get("q", "")
    query = parse_catalog_query(request.args, store.currency, searching=bool(text.strip()))
    where = {"store_id": store.id, "page": query_page(), "query": query,
             "per_page": current_app.config["PRODUCTS_PER_PAGE"],
             "category_id": category.id if category else None}
    found = search_products(text=text, **where) if query.searching else None
    page = found.page if found else catalog.list_products(**where)
    return render_template("storefront/index.html", page=page, category=category,
                           found=found, search=found.terms.text if found else "",
                           categories=categories, query=query,
                           filters=query.args(store.currency), sorts=query.sorts())


@bp.get("/products/<slug>")
def product(slug: str):
    store = current_store()
    item = catalog.product_by_slug(store.id, slug)
    if item is None:
        abort(404, description="We could not find that product.")
    image = item.images[0].variant("full").name if item.images else None
    json_ld = product_json_ld(item, url=external_url("storefront.product", slug=item.slug),
                              image=image and external_url("media.media", name=image))
    return render_template("storefront/product.html", product=item, json_ld=json_ld)
