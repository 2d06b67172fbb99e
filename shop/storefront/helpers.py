"""Template helpers of the storefront pages."""

from __future__ import annotations

from flask import url_for
from markupsafe import Markup

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
    """An ``<img>`` of a product image: ``variant`` as its src, every copy in its srcset for
    the browser to pick from with ``sizes``, its width and height (the space is kept while it
    loads: no layout shift) and its alt text. ``lazy`` unless it is the first thing seen."""
    shown = image.variant(variant)
    files = image.files()
    attrs = {"src": url_for("media.media", name=shown.name), "alt": image.alt}
    if len(files) > 1:
        attrs["srcset"] = ", ".join(f"{url_for('media.media', name=f.name)} {f.width}w"
                                    for f in files)
        attrs["sizes"] = sizes
    if shown.width:
        attrs["width"], attrs["height"] = str(shown.width), str(shown.height)
    if lazy:
        attrs["loading"] = "lazy"
    attrs["decoding"] = "async"
    if class_:
        attrs["class"] = class_
    return Markup("<img {}>").format(
        Markup(" ").join(Markup('{}="{}"').format(k, v) for k, v in attrs.items()))
