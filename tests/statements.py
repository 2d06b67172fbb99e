"""Counting the SQL statements a piece of work sends: the one helper behind every "does not
grow with the data" test (the same count for N and 10 N rows, never a pinned number)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from shop.extensions import db

# Sent around the work, not doing it (SQLite's BEGIN is ours to send; psycopg's is not seen).
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextmanager
def recorded_statements(engine=None, *, control: bool = False) -> Iterator[list[str]]:
    """The statements ``engine`` (default: the app's) sends while the block runs, in order;
    transaction control (BEGIN, COMMIT, ...) only with ``control``."""
    if engine is None:
        engine = db.engine
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if control or not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def statements_for(client, path: str) -> list[str]:
    """The statements of ``GET path`` (answered 200)."""
    with recorded_statements() as statements:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return statements


def batches(statements: list[str]) -> list[str]:
    """``statements`` as PostgreSQL would send them: on SQLite, the unit of work inserts new
    rows of a table one by one (SQLite cannot tell which generated id is whose when many
    rows come back from one INSERT), where PostgreSQL sends one INSERT for them all. Run
    INSERTs into the same table then count as one; elsewhere nothing changes."""
    if db.engine.dialect.name != "sqlite":
        return statements
    folded: list[str] = []
    for statement in statements:
        if not (folded and statement.startswith("INSERT INTO ")
                and _table(statement) == _table(folded[-1])):
            folded.append(statement)
    return folded


def _table(statement: str) -> str:
    return statement.split(None, 3)[2] if statement.startswith("INSERT INTO ") else ""
