"""Audit rows: written in the same transaction as the change they describe."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ...metrics import note_audit_rows
from ...models import AuditEvent


def record_change(
    session: Session, *, store_id: int | None, entity_type: str, entity_id: int, action: str,
    from_state: str | None, to_state: str | None, actor: str, reason: str | None = None,
) -> None:
    session.add(AuditEvent(
        store_id=store_id, entity_type=entity_type, entity_id=entity_id, action=action,
        from_state=from_state, to_state=to_state, actor=actor, reason=reason,
    ))


@dataclass(frozen=True)
class Change:
    store_id: int | None
    entity_type: str
    entity_id: int
    action: str
    from_state: str | None
    to_state: str | None
    actor: str
    reason: str | None = None


def record_changes(session: Session, changes: list[Change]) -> None:
    """Audit rows written by one INSERT that is not the unit of work's: for a use case that
    writes its other rows the same way (the checkout). Counted in the metrics like the
    rows ``record_change`` adds, once the transaction commits."""
    session.execute(_insert_events(), [asdict(c) for c in changes])
    note_audit_rows(session, [(c.entity_type, c.action, c.to_state or "") for c in changes])


@cache
def _insert_events():
    return insert(AuditEvent.__table__)  # built once: see checkout_sql
