"""For search engines and link previews: the canonical URL and other absolute links of a page
(on BASE_URL, never on the request's Host: shop/links.py), /sitemap.xml, /robots.txt and
/favicon.ico."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, current_app, render_template, request, send_from_directory

from ..links import external_url
from ..services.catalog import seo
from ..web import current_store
from . import bp

# The query arguments that make another page of the catalog (a search is not a page of
# its own: its canonical URL is the catalog's).
_CANONICAL_ARGS = {"storefront.index": ("category", "page")}


@bp.app_template_global()
def canonical_url() -> str | None:
    """The page's address on BASE_URL; none for pages robots are kept out of (a shopper's
    own, whose URL may carry an order's or a reset link's token)."""
    if request.endpoint in (None, "static") or any(
            request.path == p or request.path.startswith(f"{p}/") for p in seo.PRIVATE_PATHS):
        return None
    values = dict(request.view_args or {})
    for name in _CANONICAL_ARGS.get(request.endpoint, ()):
        if request.args.get(name) and request.args.get(name) != "1":
            values[name] = request.args[name]
    return external_url(request.endpoint, **values)


@bp.app_template_global()
def absolute_url(endpoint: str, **values) -> str:
    return external_url(endpoint, **values)


@bp.app_template_global()
def meta_description(text: str | None = None) -> str:
    return seo.description(text or "", current_app.config["SHOP_DESCRIPTION"])


@bp.get("/sitemap.xml")
def sitemap():
    entries = seo.sitemap_entries(current_store().id)
    body = render_template("storefront/sitemap.xml", entries=entries)
    return Response(body, mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    root = urlsplit(current_app.config["BASE_URL"]).path.rstrip("/")
    body = render_template("storefront/robots.txt", root=root, private=seo.PRIVATE_PATHS)
    return Response(body, mimetype="text/plain")


@bp.get("/favicon.ico")
def favicon():
    folder = current_app.static_folder
    assert folder is not None  # create_app always points it at the top-level static/
    return send_from_directory(folder, "favicon.ico", max_age=86400,
                               mimetype="image/vnd.microsoft.icon")
