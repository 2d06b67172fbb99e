"""The payments list with its reconciliation card, and "Run now" for reconciliation."""

from flask import flash, redirect, render_template, request, url_for

from ..domain.states import AttemptStatus
from ..models.types import utcnow
from ..services.payments.admin import reconciliation_card
from ..services.payments.errors import GatewayError
from ..services.payments.methods import PROVIDER_OF
from ..services.payments.queries import list_attempts
from ..services.payments.reconciliation import run_reconciliation
from ..web import query_int
from . import bp
from .access import admin
from .forms import ConfirmForm

# Who an attempt is with (payment_attempts.provider), in the methods' order.
PROVIDERS = tuple(dict.fromkeys(PROVIDER_OF.values()))


@bp.get("/payments")
def payments():
    status = request.args.get("status", "")
    if status not in {s.value for s in AttemptStatus}:
        status = ""
    provider = request.args.get("provider", "")
    if provider not in PROVIDERS:
        provider = ""
    search = request.args.get("q", "").strip()[:254]
    stuck = request.args.get("stuck") == "1"
    page = list_attempts(store_id=admin().store.id, now=utcnow(), status=status,
                         search=search, stuck_only=stuck, provider=provider,
                         before_id=query_int("before"))
    return render_template("admin/payments.html", page=page, status=status, search=search,
                           stuck=stuck, statuses=list(AttemptStatus), provider=provider,
                           providers=PROVIDERS,
                           card=reconciliation_card(store_id=admin().store.id))


def _reconcile_page(form: ConfirmForm | None = None, status: int = 200,
                    error: str | None = None):
    form = (form or ConfirmForm(formdata=None)).with_label(
        "Yes, check this store's payments with Stripe now.")
    return render_template("admin/payments/reconcile.html", form=form, error=error,
                           card=reconciliation_card(store_id=admin().store.id)), status


@bp.get("/payments/reconciliation")
def reconcile_confirm():
    return _reconcile_page()


@bp.post("/payments/reconciliation")
def reconcile():
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _reconcile_page(form, 400)
    current = admin()
    try:
        [run] = run_reconciliation(trigger=current.actor, store_ids=[current.store.id])
    except GatewayError as exc:
        return _reconcile_page(form, 503, "Reconciliation stopped: Stripe could not be "
                               f"reached ({exc}). What it fixed so far is kept and the run is "
                               "recorded; try again in a few minutes.")
    flash(f"Reconciliation finished: {run.examined} examined, {run.fixed} fixed, "
          f"{run.flagged} flagged for a look, {run.events_replayed} missed events applied.",
          "success")
    return redirect(url_for("admin.payments"), 303)
