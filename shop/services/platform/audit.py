"""Audit rows: written in the same transaction as the change they describe."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ...models import AuditEvent


def record_change(
    session: Session, *, store_id: int | None, entity_type: str, entity_id: int, action: str,
    from_state: str | None, to_state: str | None, actor: str, reason: str | None = None,
) -> None:
    session.add(AuditEvent(
        store_id=store_id, entity_type=entity_type, entity_id=entity_id, action=action,
        from_state=from_state, to_state=to_state, actor=actor, reason=reason,
    ))
