"""Template helpers of the storefront pages."""

from __future__ import annotations

from functools import lru_cache

from flask import request, url_for
from markupsafe import Markup, escape

from ..services.catalog.media import ImageRef
from . import bp

_SOLD_OUT = Markup('<span class="stock stock-out">Sold out</span>')
_FEW_LEFT = Markup('<span class="stock stock-low">Only {} left</span>')
_IN_STOCK = Markup('<span class="stock stock-in">In stock</span>')


@bp.app_template_global()
def stock_label(available: int) -> Markup:
    """How many units are left, in words, for a product card and the product page."""
    if available <= 0:
        return _SOLD_OUT
    return _FEW_LEFT.format(available) if available <= 5 else _IN_STOCK


@bp.app_template_global()
def product_img(image: ImageRef, variant: str, sizes: str, *, lazy: bool = True,
                class_: str = "") -> Markup:
    """An ``<img>`` of a product image: ``variant`` as its src, the copies in its srcset for
    the browser to pick from with ``sizes``, its width and height (the space is kept while it
    loads: no layout shift) and its alt text. ``lazy`` unless it is the first thing seen."""
    return _img(image, variant, sizes, lazy, class_, request.script_root)


@lru_cache(maxsize=4096)
def _img(image: ImageRef, variant: str, sizes: str, lazy: bool, class_: str,
         root: str) -> Markup:
    # Kept per process like money's formatting (domain/money.py): the tag depends only on
    # these values (``root``: where the app is mounted, all url_for reads of the request),
    # and built on every request the catalog's 24 tags took 1.6 ms of its CPU
    # (docs/performance.md). An image's row never changes its key: a new picture is a new
    # ImageRef, so nothing here goes stale.
    shown = image.variant(variant)
    urls = {f.name: (url_for("media.media", name=f.name), f.width)
            for f in image.shown_files()}
    src = urls[shown.name][0] if shown.name in urls else url_for("media.media", name=shown.name)
    attrs = [("src", src), ("alt", image.alt)]
    if len(urls) > 1:
        attrs += [("srcset", ", ".join(f"{url} {width}w" for url, width in urls.values())),
                  ("sizes", sizes)]
    if shown.width:
        attrs += [("width", str(shown.width)), ("height", str(shown.height))]
    if lazy:
        attrs.append(("loading", "lazy"))
    attrs.append(("decoding", "async"))
    if class_:
        attrs.append(("class", class_))
    tag = "<img " + " ".join(f'{name}="{escape(value)}"' for name, value in attrs) + ">"
    return Markup(tag)  # noqa: S704 - every value is escaped above, every name is ours
