"""The orders list, its filters and its CSV export."""

from flask import Response, current_app, render_template, request

from ..models.types import utcnow
from ..services.orders.queries import export_csv, list_orders
from . import bp
from .access import admin
from .forms.orders import OrderFilterForm


@bp.get("/orders")
def orders():
    form = OrderFilterForm(request.args)
    if not form.validate():
        return render_template("admin/orders/list.html", form=form, page=None), 400
    page = list_orders(store_id=admin().store.id, query=form.query(),
                       after=request.args.get("after"), before=request.args.get("before"),
                       per_page=current_app.config["ADMIN_ORDERS_PER_PAGE"])
    return render_template("admin/orders/list.html", form=form, page=page)


@bp.get("/orders/export.csv")
def export_orders():
    form = OrderFilterForm(request.args)
    if not form.validate():
        return render_template("admin/orders/list.html", form=form, page=None), 400
    store = admin().store
    # Flask types current_app as the app itself, not the proxy whose object the stream keeps.
    chunks = _stream(current_app._get_current_object(),  # type: ignore[attr-defined]
                     store.id, form.query())
    filename = f"orders-{store.slug}-{utcnow():%Y%m%d-%H%M}.csv"
    return Response(chunks, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _stream(app, store_id: int, query):
    # Sent after the request's context is gone: each batch opens its own app context
    # (and database session) and closes it before the chunk goes out.
    yield from export_csv(store_id=store_id, query=query, unit_of_work=app.app_context)
