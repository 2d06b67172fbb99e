"""Transactions for use cases: one per use case, committed or rolled back whole."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import CursorResult, Executable, Row
from sqlalchemy.orm import Session, scoped_session

from ...db_setup import AUTOCOMMIT, IMMEDIATE
from ...extensions import db


@contextmanager
def write_transaction() -> Iterator[Session]:
    """Run a writing use case in a fresh transaction that holds the write lock on SQLite.

    Whatever the request read before is ended first, so the use case sees current data.
    """
    session = db.session()
    _refuse_nesting(session)
    session.rollback()
    session.info[_TX_LOCAL] = {}
    session.connection(execution_options={IMMEDIATE: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.info.pop(_TX_LOCAL, None)
        session.rollback()
        raise
    local = session.info.pop(_TX_LOCAL, {})
    for callback in local.get("after_commit", []):
        callback()


def write_alone(statement) -> int:
    """Run one writing statement on its own, committed as it runs; returns its rowcount.

    A single statement is atomic on both databases, so it needs no transaction around it:
    one round trip instead of three (BEGIN, the statement, COMMIT). Only for a use case
    that is that one statement (a conditional UPDATE that stores a result, say). Like
    ``write_transaction``, it first ends whatever the request read (its objects are read
    again, fresh, when next used).
    """
    _refuse_nesting(db.session())
    db.session.rollback()
    with _alone() as connection:
        return connection.execute(statement).rowcount


M = TypeVar("M")


def get_existing(session: Session | scoped_session[Any], model: type[M], ident: int) -> M:
    """The ``model`` row ``ident`` for a caller that knows it is there: it wrote the row or
    read its id from the database during this use case, and no row is deleted under a use
    case that holds its id. A miss is a bug, not a visitor's mistake, so it is no NotFound."""
    row = session.get(model, ident)
    if row is None:
        raise LookupError(f"{model.__name__} {ident} vanished")
    return row


def rows_matched(session: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE in ``session``; returns how many rows it matched. (The session
    types every result as a Result; a DML statement's is a CursorResult, which counts.)"""
    result = session.execute(statement)
    assert isinstance(result, CursorResult), "an UPDATE or DELETE gives a CursorResult"
    return result.rowcount


def read_alone(statement, params: dict | None = None) -> list[Row]:
    """The rows of one read, taken on its own in autocommit: for a page whose data is that
    one statement, one round trip instead of BEGIN, the statement and ROLLBACK. Plain rows,
    read outside the request's session (which stays unopened if nothing else uses it)."""
    with _alone() as connection:
        return connection.execute(statement, params or {}).all()


def _refuse_nesting(session: Session) -> None:
    # Both start by ending what the session has open: inside a write transaction that would
    # silently roll back the use case that is running.
    if _TX_LOCAL in session.info:
        raise RuntimeError("a write use case started inside another one's transaction")


def _alone():
    return db.engine.connect().execution_options(isolation_level=AUTOCOMMIT)


_TX_LOCAL = "shop_tx_local"


def tx_local(session: Session) -> dict:
    """Scratch space that lives as long as the current write transaction."""
    return session.info.setdefault(_TX_LOCAL, {})


def tx_local_if_open(session: Session) -> dict | None:
    """The write transaction's own dict, or None outside one (never opens one)."""
    return session.info.get(_TX_LOCAL)


def after_commit(session: Session, callback: Callable[[], object]) -> None:
    """Run ``callback`` once the current write transaction has committed (never on rollback)."""
    tx_local(session).setdefault("after_commit", []).append(callback)


def lock_rows(query, dialect_name: str | None = None, *, of=None, skip_locked: bool = False):
    """``SELECT … FOR UPDATE`` where the database has row locks (SQLite holds the db lock).

    The rows of the query's first entity are locked, or those of the entities ``of`` lists,
    in that order: PostgreSQL locks a result row's tables in the order of its ``OF`` list.
    """
    name = dialect_name or db.session.get_bind().dialect.name
    if name == "sqlite":
        return query
    # FOR NO KEY UPDATE, of the selected rows only: inserting a row that references a locked
    # one (an order line → its product) takes KEY SHARE, which FOR UPDATE would conflict with
    # (two checkouts deadlock); and PostgreSQL refuses to lock the nullable side of the outer
    # joins that eager-loaded relationships (a product's category) add.
    return query.with_for_update(of=of or query.column_descriptions[0]["entity"],
                                 key_share=True, skip_locked=skip_locked)
