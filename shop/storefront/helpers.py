"""Template helpers of the storefront pages."""

from __future__ import annotations

from markupsafe import Markup

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
