"""Template helpers of the storefront pages, written for the catalog's loop over 24 products:
each is called once per product card or category link, where ``url_for`` (5–7 µs) and a
Jinja macro call (4 µs) were a tenth of the page's CPU (docs/performance.md)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import g, url_for
from markupsafe import Markup

from . import bp

# What werkzeug leaves unquoted in a path segment (``BaseConverter.to_url``) and in a query
# string (``urls._urlencode``).
_SEGMENT_SAFE = "!$&'()*+,/:;=@"
_QUERY_SAFE = "!$'()*,/:;?@"


@bp.app_template_global()
def catalog_url(**query) -> str:
    """``url_for("storefront.index", **query)`` (category links, pages): the path is built
    once per request, the query string as werkzeug writes it."""
    base = g.get("catalog_url_base")
    if base is None:
        base = g.catalog_url_base = url_for("storefront.index")
    items = [(name, value) for name, value in query.items() if value is not None]
    if not items:
        return base
    return f"{base}{'&' if '?' in base else '?'}{urlencode(items, safe=_QUERY_SAFE)}"


@bp.app_template_global()
def product_url(slug: str) -> str:
    """``url_for("storefront.product", slug=slug)``: the URL around the slug is built once per
    request, then only the slug is quoted into it, as werkzeug quotes it."""
    around = g.get("product_url_around")
    if around is None:
        before, _, after = url_for("storefront.product", slug="_").rpartition("_")
        around = g.product_url_around = (before, after)
    return f"{around[0]}{quote(slug, safe=_SEGMENT_SAFE)}{around[1]}"


_SOLD_OUT = Markup('<span class="stock stock-out">Sold out</span>')
_FEW_LEFT = Markup('<span class="stock stock-low">Only {} left</span>')
_IN_STOCK = Markup('<span class="stock stock-in">In stock</span>')


@bp.app_template_global()
def stock_label(available: int) -> Markup:
    """How many units are left, in words, for a product card and the product page."""
    if available <= 0:
        return _SOLD_OUT
    return _FEW_LEFT.format(available) if available <= 5 else _IN_STOCK
