"""Internal notes staff leave on an order (never shown to the shopper)."""

from __future__ import annotations

from ...models import OrderNote
from ..platform.audit import record_change
from ..platform.tx import write_transaction
from .fulfilment import lock_order


def add_note(*, order_id: int, store_id: int, author_id: int, author: str,
             body: str) -> OrderNote:
    """Raises ``OrderNotFound`` if the order is not in ``store_id``."""
    if not body.strip():
        raise ValueError("a note has text")
    with write_transaction() as session:
        order = lock_order(session, order_id=order_id, store_id=store_id)
        note = OrderNote(store_id=store_id, order_id=order.id, author_id=author_id,
                         author=author, body=body.strip())
        session.add(note)
        session.flush()
        record_change(session, store_id=store_id, entity_type="order", entity_id=order.id,
                      action="note_added", from_state=None, to_state=None,
                      actor=f"staff:{author}")
    return note
