"""Products: list, create, edit, archive. Images are uploaded with the product form."""

from functools import wraps

from flask import current_app, flash, redirect, render_template, request, url_for

from ..services.catalog import products as catalog
from ..services.catalog.media import InvalidImage, discard, save_product_image
from ..services.inventory.stock import recent_adjustments, stock_level
from ..web import query_page
from . import bp
from .access import admin, in_store
from .forms import ActionForm
from .forms.products import ProductForm, StockForm

UPLOAD_HEADROOM = 64 * 1024  # the rest of the form around the image


def accepts_image(view):
    """Raise this request's body limit (256 KB app-wide) so that an image fits."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        request.max_content_length = (current_app.config["ADMIN_IMAGE_MAX_BYTES"]
                                      + UPLOAD_HEADROOM)
        return view(*args, **kwargs)
    return wrapper


def _form(**kwargs) -> ProductForm:
    store = admin().store
    return ProductForm(currency=store.currency,
                       categories=catalog.store_categories(store.id), **kwargs)


def _image(form: ProductForm, current: str | None) -> str | None:
    """The image the product should have after this form: new upload, removed or kept."""
    upload = form.image.data
    if upload and getattr(upload, "filename", ""):
        return save_product_image(upload.stream)
    return None if form.remove_image.data else current


def _save(form: ProductForm, product=None):
    """Validate and save; returns the product, or None with the errors on the form."""
    if not form.validate_on_submit():
        return None
    current = product.image if product else None
    try:
        data = form.product_input(_image(form, current))
    except InvalidImage as exc:
        form.image.errors.append(str(exc))
        return None
    try:
        if product is None:
            return catalog.create_product(store_id=admin().store.id, data=data,
                                          actor=admin().actor)
        return in_store(catalog.update_product, product_id=product.id, data=data,
                        actor=admin().actor)
    except catalog.SlugTaken as exc:
        form.slug.errors.append(str(exc))
    except catalog.UnknownCategory as exc:
        form.category_id.errors.append(str(exc))
    if data.image != current:
        discard(data.image)
    return None


@bp.get("/products")
def products():
    archived = request.args.get("archived") == "1"
    listing = catalog.list_products(store_id=admin().store.id,
                                    search=request.args.get("q", "").strip()[:100],
                                    archived=archived, page=query_page())
    return render_template("admin/products/list.html", listing=listing, archived=archived,
                           search=request.args.get("q", ""))


@bp.route("/products/new", methods=["GET", "POST"])
@accepts_image
def new_product():
    form = _form()
    product = _save(form) if request.method == "POST" else None
    if product is not None:
        flash(f"{product.name} was created. Add its stock below.", "success")
        return redirect(url_for("admin.edit_product", product_id=product.id), 303)
    status = 400 if form.errors else 200
    return render_template("admin/products/form.html", form=form, product=None), status


def edit_page(product, form: ProductForm | None = None, stock_form: StockForm | None = None,
              status: int = 200):
    """The product page: its form, its stock (with the adjust form) and the stock history."""
    form = form or _form(formdata=None, data=ProductForm.initial(product))
    return render_template(
        "admin/products/form.html", form=form, product=product,
        stock=stock_level(product), history=recent_adjustments(product.id),
        stock_form=stock_form or StockForm(formdata=None),
        action_form=ActionForm(formdata=None)), status


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
@accepts_image
def edit_product(product_id: int):
    product = in_store(catalog.product_in_store, product_id=product_id)
    if request.method == "GET":
        return edit_page(product)
    form = _form()
    saved = _save(form, product)
    if saved is None:
        return edit_page(product, form=form, status=400)
    flash(f"{saved.name} was saved.", "success")
    return redirect(url_for("admin.edit_product", product_id=saved.id), 303)


@bp.post("/products/<int:product_id>/archive")
def archive_product(product_id: int):
    archive = request.form.get("archive") != "0"
    if not ActionForm().validate_on_submit():
        flash("The form expired. Please try again.", "error")
        return redirect(url_for("admin.edit_product", product_id=product_id), 303)
    product = in_store(catalog.set_archived, product_id=product_id, archived=archive,
                       actor=admin().actor)
    flash(f"{product.name} was {'archived' if archive else 'restored to the shop'}.", "success")
    return redirect(url_for("admin.edit_product", product_id=product_id), 303)
