"""Stripe events as staff see them, and the replay of a failed one."""

from flask import flash, redirect, render_template, request, url_for

from ..domain.errors import DomainError
from ..services.payments.errors import GatewayError
from ..services.webhooks.events import EventNotFound
from ..services.webhooks.listing import event_choices, list_events
from ..services.webhooks.replay import replay_for_staff
from . import bp
from .access import admin
from .forms.money import ReplayForm


def _events_page(status: int = 200, error: str | None = None):
    current = admin()
    outcome = request.args.get("outcome", "")[:20]
    event_type = request.args.get("type", "")[:100]
    page = list_events(store_id=current.store.id, include_unassigned=current.sees_unmatched_events,
                       outcome=outcome, event_type=event_type,
                       before=request.args.get("before"))
    outcomes, types = event_choices()
    return render_template("admin/webhooks.html", page=page, outcomes=outcomes, types=types,
                           outcome=outcome, event_type=event_type, error=error), status


@bp.get("/webhooks")
def webhooks():
    return _events_page()


@bp.post("/webhooks/<event_id>/replay")
def replay_webhook(event_id: str):
    if not ReplayForm().validate_on_submit():
        return _events_page(400, "The form expired. Please try again.")
    current = admin()
    try:
        result = replay_for_staff(store_id=current.store.id, event_id=event_id[:255],
                                  include_unassigned=current.sees_unmatched_events,
                                  actor=current.actor)
    except EventNotFound:
        return _events_page(404, "We could not find that Stripe event.")
    except GatewayError:
        return _events_page(503, f"Replaying {event_id} failed again: Stripe could not be "
                                 "reached. The event stays in the failed list; try again in a "
                                 "few minutes.")
    except DomainError as exc:
        return _events_page(409, f"Replaying {event_id} failed: {exc}")
    flash(f"Event {event_id} replayed: {result}.", "success")
    return redirect(url_for("admin.webhooks"), 303)
