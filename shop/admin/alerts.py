"""/admin/alerts: the store's open and resolved alerts; owners resolve one with a note.
The alert thresholds and webhook section of /admin/settings posts here too."""

from flask import abort, flash, redirect, render_template, request, url_for

from ..domain.errors import DomainError
from ..services.platform.alerts import alert_in_store, list_alerts, resolve_alert
from ..services.platform.thresholds import alert_settings, update_alert_settings
from . import bp
from .access import admin, in_store, owner_only
from .forms.alerts import (
    AlertSettingsForm,
    ResolveAlertForm,
    alert_settings_form,
    to_thresholds,
)


@bp.get("/alerts")
def alerts():
    kind = request.args.get("kind", "")[:60]
    page = list_alerts(store_id=admin().store.id, kind=kind)
    return render_template("admin/alerts/list.html", page=page, kind=kind)


def _resolve_page(alert_id: int, form: ResolveAlertForm, status: int = 200,
                  error: str | None = None):
    alert = in_store(alert_in_store, alert_id=alert_id)
    return render_template("admin/alerts/resolve.html", alert=alert, form=form,
                           error=error), status


@bp.route("/alerts/<int:alert_id>/resolve", methods=["GET", "POST"])
@owner_only
def resolve_alert_page(alert_id: int):
    form = ResolveAlertForm()
    if not form.validate_on_submit():
        return _resolve_page(alert_id, form, 400 if form.errors else 200)
    current = admin()
    try:
        resolve_alert(alert_id=alert_id, store_id=current.store.id, actor=current.actor,
                      note=form.note.data)
    except DomainError as exc:
        if exc.status == 404:
            abort(404, description=str(exc))
        return _resolve_page(alert_id, form, exc.status, str(exc))
    flash("Alert resolved.", "success")
    return redirect(url_for("admin.alerts"), 303)


@bp.post("/settings/alerts")
@owner_only
def alert_settings_save():
    current = admin()
    form = AlertSettingsForm()
    if not form.validate_on_submit():
        # This section alone, with its errors: the rest of the settings page was not sent.
        return render_template("admin/alerts/settings.html", alert_form=form,
                               alert_view=alert_settings(current.store.id)), 400
    changes, secret = update_alert_settings(
        store_id=current.store.id, thresholds=to_thresholds(form),
        webhook_url=form.alert_webhook_url.data or None,
        new_secret=form.alert_new_secret.data, actor=current.actor)
    if secret is not None:
        # Shown on this answer only (not flashed: the session cookie is readable).
        return render_template("admin/alerts/secret.html", secret=secret), 200
    flash(f"Alert settings saved: {len(changes)} change{'s' if len(changes) != 1 else ''}."
          if changes else "Nothing changed.", "success")
    return redirect(url_for("admin.settings"), 303)


def alert_form_for(store_id: int) -> dict:
    """What the settings page's alert section needs (``admin/settings/_alerts.html``)."""
    view = alert_settings(store_id)
    return {"alert_form": alert_settings_form(view.thresholds, view.webhook_url),
            "alert_view": view}
