"""Pooled connections are tested before use only after sitting idle (shop/db_setup.py):
a connection used a moment ago costs no ping, one that idled and died is replaced."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import QueuePool

from shop.db_setup import ping_idle_connections


def counting_engine(database_url: str, idle_seconds: float):
    # QueuePool on SQLite too, so that both databases pool (and ping) the same way.
    engine = create_engine(database_url, poolclass=QueuePool, pool_size=1, max_overflow=0)
    pings: list[bool] = []
    real_ping = engine.dialect.do_ping

    def ping(dbapi_connection):
        pings.append(True)
        return real_ping(dbapi_connection)

    engine.dialect.do_ping = ping
    ping_idle_connections(engine, idle_seconds)
    return engine, pings


def backend_id(engine) -> int:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            return connection.scalar(text("SELECT pg_backend_pid()"))
        return connection.scalar(text("SELECT 1"))


def test_a_connection_used_a_moment_ago_is_not_pinged(database_url):
    engine, pings = counting_engine(database_url, idle_seconds=3600)
    try:
        for _ in range(3):
            backend_id(engine)
        assert pings == []
    finally:
        engine.dispose()


def test_a_connection_that_sat_idle_is_pinged_before_use(database_url):
    engine, pings = counting_engine(database_url, idle_seconds=0)
    try:
        for _ in range(3):
            backend_id(engine)
        assert len(pings) == 2  # not the first use of a brand-new connection
    finally:
        engine.dispose()


def test_an_idle_connection_the_database_dropped_is_replaced_unseen(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop a connection")
    engine, pings = counting_engine(database_url, idle_seconds=0)
    killer = create_engine(database_url, poolclass=QueuePool)
    try:
        dropped = backend_id(engine)
        with killer.connect() as connection:
            assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"),
                                     {"pid": dropped})
        assert backend_id(engine) != dropped  # the ping failed; a new connection answered
        assert pings
    finally:
        engine.dispose()
        killer.dispose()
