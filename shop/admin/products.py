"""Products: list, create, edit, archive. Images are uploaded with the product form and
arranged one by one (``product_images``)."""

from functools import wraps

from flask import current_app, flash, redirect, render_template, request, url_for

from ..services.catalog import products as catalog
from ..services.catalog.gallery import TooManyImages
from ..services.catalog.media import ImageRef, InvalidImage, discard, read_upload, store_image
from ..services.inventory.stock import recent_adjustments, stock_level, variant_levels
from ..web import query_page
from . import bp
from .access import admin, in_store
from .forms import ActionForm
from .forms.products import ImageForm, ProductForm, StockForm, VariantForm

UPLOAD_HEADROOM = 64 * 1024  # the rest of the form around the image


def accepts_image(view):
    """Raise this request's body limit (256 KB app-wide) so that several images fit."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        config = current_app.config
        request.max_content_length = (config["ADMIN_IMAGE_MAX_BYTES"]
                                      * config["ADMIN_IMAGES_PER_UPLOAD"] + UPLOAD_HEADROOM)
        return view(*args, **kwargs)
    return wrapper


def _form(**kwargs) -> ProductForm:
    store = admin().store
    return ProductForm(currency=store.currency,
                       categories=catalog.store_categories(store.id), **kwargs)


def _store_uploads(form: ProductForm) -> list | None:
    """Check and store the form's new images; None (errors on the form) if one is refused,
    and then none is kept."""
    uploads = form.uploads()
    limit = current_app.config["ADMIN_IMAGES_PER_UPLOAD"]
    if len(uploads) > limit:
        form.images.errors.append(f"Choose at most {limit} images at a time.")
        return None
    stored = []
    try:
        for upload in uploads:
            stored.append(store_image(read_upload(upload.stream)))
    except InvalidImage as exc:
        form.images.errors.append(f"{upload.filename[:80]}: {exc}")
        _discard_all(stored)
        return None
    return stored


def _save(form: ProductForm, product=None):
    """Validate and save; returns the product, or None with the errors on the form."""
    if not form.validate_on_submit():
        return None
    stored = _store_uploads(form)
    if stored is None:
        return None
    data = form.product_input(stored)
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
    except TooManyImages as exc:
        form.images.errors.append(str(exc))
    except BaseException:
        _discard_all(stored)  # nothing refers to them: the change did not commit
        raise
    _discard_all(stored)
    return None


def _discard_all(stored: list) -> None:
    for image in stored:
        discard(image)


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
              status: int = 200, variant_form: VariantForm | None = None,
              edited: tuple[int, VariantForm] | None = None):
    """The product page: its form, its variants (each with its form), its stock (with the
    adjust form) and the stock history; a form passed in is shown with its errors."""
    form = form or _form(formdata=None, data=ProductForm.initial(product))
    stock_form = stock_form or StockForm(formdata=None)
    stock_form.variant.choices = [(v.id, v.name or v.sku) for v in product.variants]
    return render_template(
        "admin/products/form.html", form=form, product=product,
        images=[(image, ImageRef.of(image), ImageForm(formdata=None, prefix=f"image-{image.id}",
                                                      data={"alt": image.alt}))
                for image in product.images],
        stock=stock_level(product), history=recent_adjustments(product.id),
        stock_form=stock_form, action_form=ActionForm(formdata=None),
        variants=[(level, edited[1] if edited and edited[0] == level.variant.id else
                   VariantForm(formdata=None, prefix=f"variant-{level.variant.id}",
                               currency=product.currency,
                               data=VariantForm.initial(level.variant, product.currency)))
                  for level in variant_levels(product)],
        variant_form=variant_form or VariantForm(formdata=None, prefix="new-variant",
                                                 currency=product.currency)), status


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
