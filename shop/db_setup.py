"""Engine settings that make SQLite safe for concurrent writers.

pysqlite's own transaction handling is switched off so that we emit BEGIN ourselves: write
use cases start with ``BEGIN IMMEDIATE`` (see ``services.tx.write_transaction``), taking
SQLite's write lock up front, so two writers queue on ``busy_timeout`` instead of failing
with "database is locked" when a read transaction tries to upgrade.
"""

from __future__ import annotations

import time

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine, make_url

IMMEDIATE = "sqlite_begin_immediate"
AUTOCOMMIT = "AUTOCOMMIT"
_CHECKED_IN_AT = "shop_checked_in_at"


def engine_options(url: str, pooler: str) -> dict:
    """``create_engine`` options for DATABASE_URL behind ``pooler`` (DATABASE_POOLER).

    PgBouncer in transaction mode hands each transaction whichever server connection is
    free, and 1.18 does not track protocol-level prepared statements: psycopg's automatic
    preparation (after 5 runs of a statement) would create ``_pg3_0`` on one server
    connection and then find it missing, or already there, on another.
    """
    if pooler == "none":
        return {}
    if make_url(url).drivername != "postgresql+psycopg":
        raise ValueError(f"DATABASE_POOLER={pooler} needs a postgresql+psycopg:// "
                         "DATABASE_URL")
    return {"connect_args": {"prepare_threshold": None}}


def configure_engine(engine: Engine, *, lock_timeout_ms: int | None = None,
                     ping_after_idle_seconds: float | None = None,
                     pooled: bool = False) -> None:
    if ping_after_idle_seconds is not None:
        ping_idle_connections(engine, ping_after_idle_seconds)
    if engine.dialect.name == "postgresql" and lock_timeout_ms:
        if pooled:
            _bound_lock_waits_per_transaction(engine, lock_timeout_ms)
        else:
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
        options = connection.get_execution_options()
        if options.get("isolation_level") == AUTOCOMMIT:
            return  # each statement commits itself (services.tx.write_alone)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(IMMEDIATE) else "BEGIN")


def _bound_lock_waits(engine: Engine, lock_timeout_ms: int) -> None:
    """A request waits at most ``lock_timeout_ms`` for a row lock, then fails (and rolls back)
    instead of holding a worker while a stuck transaction keeps its locks (SQLite's
    equivalent is ``busy_timeout`` above)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {int(lock_timeout_ms)}")
        dbapi_connection.commit()  # a SET inside a rolled-back transaction would be undone


def _bound_lock_waits_per_transaction(engine: Engine, lock_timeout_ms: int) -> None:
    """The same bound behind a transaction pooler, where a session-level SET would land on
    one server connection (shared with every client) and miss the others: ``SET LOCAL``
    at the start of each transaction, one more round trip each."""

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get("isolation_level") != AUTOCOMMIT:
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}")


def ping_idle_connections(engine: Engine, idle_seconds: float) -> None:
    """Test a pooled connection before use only if it sat idle ``idle_seconds`` or more.

    ``pool_pre_ping`` pings on every checkout: a round trip per transaction, and a request
    runs up to four (a webhook: read, settle, outbox claim, outbox done). A connection used
    a moment ago is almost surely alive; one that idled may have been cut by a database
    restart or a firewall, and is replaced here before a request sees the error. If the
    database restarts within the idle window, the first statement on each old connection
    fails once; SQLAlchemy then recycles the whole pool.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        if record is not None:
            record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        since = record.info.get(_CHECKED_IN_AT)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # new, or used a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out (or opens) another.
            raise exc.DisconnectionError(str(error)) from error
        if not alive:
            raise exc.DisconnectionError("the database did not answer the ping")
