from flask import abort, flash, redirect, render_template, url_for

from ..models.types import utcnow
from ..services.platform.dashboard import build_dashboard
from . import bp
from .access import admin, switch_store
from .charts import bar_chart
from .forms.staff import StoreSwitchForm


@bp.get("/")
def dashboard():
    current = admin()
    data = build_dashboard(store_id=current.store.id, currency=current.store.currency,
                           now=utcnow(), include_unassigned_events=current.sees_unmatched_events)
    return render_template("admin/dashboard.html", data=data,
                           chart=bar_chart(data.revenue_by_day))


@bp.post("/store")
def switch():
    form = StoreSwitchForm()
    store = switch_store(form.store_id.data) if form.validate_on_submit() else None
    if store is None:
        abort(400, description="Choose one of your stores.")
    flash(f"You are now managing {store.name}.", "success")
    return redirect(url_for("admin.dashboard"), 303)
