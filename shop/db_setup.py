"""Engine settings that make SQLite safe for concurrent writers.

pysqlite's own transaction handling is switched off so that we emit BEGIN ourselves: write
use cases start with ``BEGIN IMMEDIATE`` (see ``services.tx.write_transaction``), taking
SQLite's write lock up front, so two writers queue on ``busy_timeout`` instead of failing
with "database is locked" when a read transaction tries to upgrade.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

IMMEDIATE = "sqlite_begin_immediate"


def configure_engine(engine: Engine, *, lock_timeout_ms: int | None = None) -> None:
    if engine.dialect.name == "postgresql" and lock_timeout_ms:
        _bound_lock_waits(engine, lock_timeout_ms)
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get(IMMEDIATE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _bound_lock_waits(engine: Engine, lock_timeout_ms: int) -> None:
    """A request waits at most ``lock_timeout_ms`` for a row lock, then fails (and rolls back)
    instead of holding a worker while a stuck transaction keeps its locks (SQLite's
    equivalent is ``busy_timeout`` above)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {int(lock_timeout_ms)}")
        dbapi_connection.commit()  # a SET inside a rolled-back transaction would be undone
