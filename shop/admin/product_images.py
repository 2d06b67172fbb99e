"""A product's images, one form each: its alt text, move up or down, delete."""

from flask import flash, redirect, url_for

from ..services.catalog import gallery
from ..services.catalog import products as catalog
from . import bp
from .access import admin, in_store
from .forms.products import ImageForm

DONE = {"save": "The description was saved.", "up": "The image was moved.",
        "down": "The image was moved.", "delete": "The image was deleted."}


@bp.post("/products/<int:product_id>/images/<int:image_id>")
def change_product_image(product_id: int, image_id: int):
    in_store(catalog.product_in_store, product_id=product_id)  # another store's: 404
    form = ImageForm(prefix=f"image-{image_id}")
    if not form.validate_on_submit():
        flash(form.alt.errors[0] if form.alt.errors else "The form expired. Please try again.",
              "error")
        return redirect(url_for("admin.edit_product", product_id=product_id), 303)
    ids = {"product_id": product_id, "image_id": image_id, "actor": admin().actor}
    action = form.action.data
    if action == "delete":
        in_store(gallery.delete_image, **ids)
    elif action == "save":
        in_store(gallery.describe_image, alt=form.alt.data or "", **ids)
    else:
        in_store(gallery.move_image, direction=action, **ids)
    flash(DONE[action], "success")
    return redirect(url_for("admin.edit_product", product_id=product_id, _anchor="images"), 303)
