"""The payment methods section of /admin/settings, a form of its own (owners only)."""

from flask import flash, redirect, render_template, url_for

from ..domain.payment_methods.payment_settings import PaymentSettingsRefused
from ..services.platform.payment_settings import (
    method_statuses,
    payment_choice,
    update_payment_settings,
)
from . import bp
from .access import admin, owner_only
from .forms.payment_settings import PaymentSettingsForm, payment_settings_form


@bp.post("/settings/payments")
@owner_only
def payment_settings_save():
    current = admin()
    form = payment_settings_form(current.store.currency)
    if form.validate_on_submit():
        try:
            changes = update_payment_settings(store_id=current.store.id,
                                              choice=form.choice(), actor=current.actor)
        except PaymentSettingsRefused as exc:
            form.refuse(exc)
        else:
            flash(f"Payment settings saved: {len(changes)} "
                  f"change{'s' if len(changes) != 1 else ''}." if changes
                  else "Nothing changed.", "success")
            return redirect(url_for("admin.settings"), 303)
    # This section alone, with its errors: the rest of the settings page was not sent.
    return render_template("admin/settings/payments.html",
                           **payment_form_for(current.store.id, form)), 400


def payment_form_for(store_id: int, form: PaymentSettingsForm | None = None) -> dict:
    """What the settings page's payment section needs (``admin/settings/_payments.html``)."""
    if form is None:
        form = payment_settings_form(admin().store.currency, payment_choice(store_id))
    return {"payment_form": form, "payment_methods": method_statuses(store_id)}
