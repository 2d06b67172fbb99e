from flask import abort, current_app, render_template, request

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
    page = catalog.list_products(
        store_id=store.id, page=query_page(),
        per_page=current_app.config["PRODUCTS_PER_PAGE"],
        category_id=category.id if category else None, search=search,
    )
    return render_template("storefront/index.html", page=page, category=category,
                           search=search, categories=categories)


@bp.get("/products/<slug>")
def product(slug: str):
    store = current_store()
    item = catalog.product_by_slug(store.id, slug)
    if item is None:
        abort(404, description="We could not find that product.")
    json_ld = product_json_ld(item, url=external_url("storefront.product", slug=item.slug),
                              image=item.image and external_url("media.media", name=item.image))
    return render_template("storefront/product.html", product=item, json_ld=json_ld)
