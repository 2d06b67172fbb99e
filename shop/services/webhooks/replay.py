"""Staff replaying a failed Stripe event from the admin: scoped to what they may see, and
audited whichever way it ends."""

from __future__ import annotations

from ..platform.audit import record_change
from ..platform.tx import write_transaction
from .events import EventNotFound, replay_event
from .listing import visible_event


def replay_for_staff(*, store_id: int, include_unassigned: bool, event_id: str,
                     actor: str) -> str:
    """Replay ``event_id`` if this store's staff can see it; returns its new status.

    Raises ``EventNotFound``, ``EventNotReplayable``, or whatever processing raised (the
    event then stays failed, with the error, as ``replay_event`` records it).
    """
    row = visible_event(store_id=store_id, include_unassigned=include_unassigned,
                        event_id=event_id)
    if row is None:
        raise EventNotFound("We could not find that Stripe event.")
    order_id, event_type = row.order_id, row.event.type
    try:
        result = replay_event(event_id=event_id, actor=actor)
    except Exception as exc:
        _audit(store_id, order_id, actor, "webhook_replay_failed",
               f"{event_id} ({event_type}): {type(exc).__name__}: {exc}"[:2000])
        raise
    _audit(store_id, order_id, actor, "webhook_replayed", f"{event_id} ({event_type}): {result}")
    return result


def _audit(store_id: int, order_id: int | None, actor: str, action: str, reason: str) -> None:
    # On the order the event is about, so the replay shows in its timeline; else the store.
    with write_transaction() as session:
        record_change(session, store_id=store_id,
                      entity_type="order" if order_id else "store",
                      entity_id=order_id or store_id, action=action, from_state=None,
                      to_state=None, actor=actor, reason=reason)

