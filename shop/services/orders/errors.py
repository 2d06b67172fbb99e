"""Errors of the orders area."""

from __future__ import annotations

from ...domain.errors import NotFound


class OrderNotFound(NotFound):
    """No such order in the caller's store (never says whether another store has it)."""

    code = "order_not_found"
