from flask import abort, current_app, render_template, request

from ..domain.catalog_query import SORTS, parse_catalog_query
from ..links import external_url
from ..services.catalog import browse as catalog
from ..services.catalog import cache as catalog_cache
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
    search = request.args.get("q", "").strip()[:100]
    query = parse_catalog_query(request.args, store.currency)
    page = catalog.list_products(
        store_id=store.id, page=query_page(),
        per_page=current_app.config["PRODUCTS_PER_PAGE"],
        category_id=category.id if category else None, search=search, query=query,
    )
    return render_template("storefront/index.html", page=page, category=category,
                           search=search, categories=categories, query=query,
                           filters=query.args(store.currency), sorts=SORTS)


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
