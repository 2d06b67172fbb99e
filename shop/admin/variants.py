"""A product's variants: add one, change one (SKU, name, price, on sale). Stock is adjusted
per variant on the stock form (``stock``)."""

from flask import flash, redirect, url_for

from ..domain.errors import DomainError
from ..services.catalog import products as catalog
from ..services.catalog import variants
from . import bp
from .access import admin, in_store
from .forms.products import VariantForm
from .products import edit_page


def _back(product_id: int):
    return redirect(url_for("admin.edit_product", product_id=product_id, _anchor="variants"),
                    303)


@bp.post("/products/<int:product_id>/variants")
def add_product_variant(product_id: int):
    product = in_store(catalog.product_in_store, product_id=product_id)
    form = VariantForm(prefix="new-variant", currency=product.currency)
    if not form.validate_on_submit():
        return edit_page(product, variant_form=form, status=400)
    try:
        variant = in_store(variants.add_variant, product_id=product_id,
                           data=form.variant_input(), actor=admin().actor)
    except DomainError as exc:
        form.sku.errors.append(str(exc))
        return edit_page(product, variant_form=form, status=400)
    flash(f"Variant {variant.sku} was added.", "success")
    return _back(product_id)


@bp.post("/products/<int:product_id>/variants/<int:variant_id>")
def edit_product_variant(product_id: int, variant_id: int):
    product = in_store(catalog.product_in_store, product_id=product_id)
    form = VariantForm(prefix=f"variant-{variant_id}", currency=product.currency)
    if not form.validate_on_submit():
        return edit_page(product, edited=(variant_id, form), status=400)
    try:
        variant = in_store(variants.update_variant, product_id=product_id,
                           variant_id=variant_id, data=form.variant_input(),
                           actor=admin().actor)
    except DomainError as exc:
        form.sku.errors.append(str(exc))
        return edit_page(product, edited=(variant_id, form), status=400)
    flash(f"Variant {variant.sku} was saved.", "success")
    return _back(product_id)
