"""Transactions for use cases: one per use case, committed or rolled back whole."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from ..db_setup import IMMEDIATE
from ..extensions import db


@contextmanager
def write_transaction() -> Iterator[Session]:
    """Run a writing use case in a fresh transaction that holds the write lock on SQLite.

    Whatever the request read before is ended first, so the use case sees current data.
    """
    session = db.session
    session.rollback()
    session.connection(execution_options={IMMEDIATE: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def lock_rows(query, dialect_name: str | None = None):
    """``SELECT … FOR UPDATE`` where the database has row locks (SQLite holds the db lock)."""
    name = dialect_name or db.session.get_bind().dialect.name
    return query if name == "sqlite" else query.with_for_update()
