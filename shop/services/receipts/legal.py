"""The store's legal details (name, address, tax id): kept in its settings, frozen into each
receipt and credit note when issued, so a change reaches only the next ones."""

from __future__ import annotations

from ...extensions import db
from ...models import StoreSettings
from ..platform.audit import record_change
from ..platform.tx import write_transaction

FIELDS = ("legal_name", "legal_address", "tax_id")


def legal_details(store_id: int) -> dict[str, str]:
    row = db.session.get(StoreSettings, store_id)
    return {name: (getattr(row, name) if row else None) or "" for name in FIELDS}


def update_legal_details(*, store_id: int, name: str | None, address: str | None,
                         tax_id: str | None, actor: str) -> list[str]:
    """Save them (audited); returns the changes in words, empty if nothing changed."""
    entered = {"legal_name": name or "", "legal_address": (address or "").replace("\r", ""),
               "tax_id": tax_id or ""}
    with write_transaction() as session:
        row = session.get(StoreSettings, store_id) or StoreSettings(store_id=store_id)
        session.add(row)
        changes = [f"{field.replace('_', ' ')}: {getattr(row, field) or 'none'!r} → "
                   f"{entered[field] or 'none'!r}"
                   for field in FIELDS if (getattr(row, field) or "") != entered[field]]
        if not changes:
            return []
        for field in FIELDS:
            setattr(row, field, entered[field] or None)
        record_change(session, store_id=store_id, entity_type="store", entity_id=store_id,
                      action="legal_details_changed", from_state=None, to_state=None,
                      actor=actor, reason="; ".join(changes)[:2000])
    return changes
