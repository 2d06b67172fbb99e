"""Stock on hand: adjust with a reason, and the low-stock list."""

from flask import current_app, flash, redirect, render_template, url_for

from ..services.catalog import products as catalog
from ..services.inventory.stock import StockBelowZero, adjust_stock, low_stock
from . import bp
from .access import admin, in_store
from .forms.products import StockForm
from .products import edit_page


@bp.post("/products/<int:product_id>/stock")
def adjust_product_stock(product_id: int):
    product = in_store(catalog.product_in_store, product_id=product_id)
    form = StockForm()
    variant = _chosen_variant(product, form.variant.data)
    if not form.validate_on_submit() or variant is None:
        if variant is None:
            form.variant.errors = ["Choose one of this product's variants."]
        return edit_page(product, stock_form=form, status=400)
    try:
        adjustment = in_store(adjust_stock, variant_id=variant.id, delta=form.delta.data,
                              reason=form.reason_text(), actor=admin().actor)
    except StockBelowZero as exc:
        form.delta.errors.append(str(exc))
        return edit_page(product, stock_form=form, status=400)
    flash(f"Stock of {variant.label(product.name)} is now {adjustment.stock_after}.",
          "success")
    return redirect(url_for("admin.edit_product", product_id=product_id), 303)


def _chosen_variant(product, variant_id: int | None):
    """The posted variant of this product; without one, the product's only variant."""
    if variant_id is None:
        return product.variants[0] if len(product.variants) == 1 else None
    return next((v for v in product.variants if v.id == variant_id), None)


@bp.get("/stock/low")
def low_stock_list():
    threshold = current_app.config["LOW_STOCK_THRESHOLD"]
    levels = low_stock(store_id=admin().store.id, threshold=threshold)
    return render_template("admin/products/low_stock.html", levels=levels,
                           threshold=threshold)
