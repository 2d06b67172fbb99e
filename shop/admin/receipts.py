"""Staff download an order's receipt and credit notes (their store's orders only), and set
the legal details printed on the next ones."""

from flask import flash, redirect, render_template, url_for

from ..documents_http import pdf_download
from ..services.orders.detail import order_in_store
from ..services.receipts.documents import documents_of
from ..services.receipts.legal import legal_details, update_legal_details
from . import bp
from .access import admin, in_store, owner_only
from .forms.legal import LegalForm


@bp.get("/orders/<int:order_id>/documents/<label>.pdf")
def document_pdf(order_id: int, label: str):
    order = in_store(order_in_store, order_id=order_id)
    return pdf_download(next((d for d in documents_of(order.id) if d.label == label), None))


@bp.post("/settings/legal")
@owner_only
def legal_settings_save():
    current = admin()
    form = LegalForm()
    if not form.validate_on_submit():
        return render_template("admin/settings/legal.html", legal_form=form), 400
    changes = update_legal_details(store_id=current.store.id, name=form.legal_name.data,
                                   address=form.legal_address.data, tax_id=form.tax_id.data,
                                   actor=current.actor)
    flash(f"Legal details saved: {len(changes)} change{'s' if len(changes) != 1 else ''}."
          if changes else "Nothing changed.", "success")
    return redirect(url_for("admin.settings"), 303)


def legal_form_for(store_id: int) -> dict:
    """What the settings page's legal section needs (``admin/settings/_legal.html``)."""
    return {"legal_form": LegalForm(formdata=None, data=legal_details(store_id))}

