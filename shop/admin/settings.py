from flask import flash, redirect, render_template, url_for

from ..services.platform.settings import effective_settings, update_settings
from . import bp
from .access import admin, owner_only
from .alerts import alert_form_for
from .forms.settings import settings_form, to_update
from .payment_settings import payment_form_for
from .receipts import legal_form_for


@bp.route("/settings", methods=["GET", "POST"])
@owner_only
def settings():
    current = admin()
    form = settings_form(effective_settings(current.store.id), current.store.country)
    if not form.validate_on_submit():
        return render_template("admin/settings.html", form=form,
                               **alert_form_for(current.store.id),
                               **legal_form_for(current.store.id),
                               **payment_form_for(current.store.id)), \
            400 if form.errors else 200
    changes = update_settings(store_id=current.store.id, update=to_update(form),
                              actor=current.actor)
    flash(f"Settings saved: {len(changes)} change{'s' if len(changes) != 1 else ''}."
          if changes else "Nothing changed.", "success")
    return redirect(url_for("admin.settings"), 303)
