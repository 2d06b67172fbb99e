"""The shop behind PgBouncer 1.18 in transaction pooling mode (DATABASE_POOLER=pgbouncer):
psycopg's automatic prepared statements are off, and nothing of a database session is
relied on across transactions (shop/db_setup.py, docs/operations.md)."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, exc, select, text

from shop import create_app
from shop.config import ConfigError
from shop.db_setup import engine_options
from shop.models import Product

from ..conftest import app_config
from ..factories import make_product, make_store
from ..pgbouncer import PgBouncer

RUNS = 12  # psycopg prepares a statement on its 6th run (prepare_threshold=5)


@pytest.fixture(scope="module")
def bouncer(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PgBouncer pools PostgreSQL connections")
    pooler = PgBouncer(database_url, pool_size=2)
    yield pooler
    pooler.stop()


def run_repeatedly(engine, slug: str) -> list[str]:
    """Two clients one after the other, each running the same statement RUNS times, a
    transaction each: PgBouncer gives the second the server connection the first used."""
    names = []
    first, second = engine.connect(), engine.connect()
    try:
        for connection in (first, second):
            for _ in range(RUNS):
                names.append(connection.scalar(select(Product.name)
                                               .where(Product.slug == slug)))
                connection.commit()
    finally:
        first.close()
        second.close()
    return names


def test_statements_past_the_prepare_threshold_pass_through_pgbouncer(clean_app, bouncer):
    product = make_product(make_store(), name="Pooled Beans")
    engine = create_engine(bouncer.url, **engine_options(bouncer.url, "pgbouncer"))
    try:
        assert run_repeatedly(engine, product.slug) == ["Pooled Beans"] * (2 * RUNS)
    finally:
        engine.dispose()


def test_without_the_setting_psycopg_trips_over_its_own_prepared_statement(clean_app,
                                                                             bouncer):
    product = make_product(make_store())
    engine = create_engine(bouncer.url, **engine_options(bouncer.url, "none"))
    try:
        with pytest.raises(exc.ProgrammingError) as raised:
            run_repeatedly(engine, product.slug)
        assert isinstance(raised.value.orig, psycopg.errors.DuplicatePreparedStatement)
    finally:
        engine.dispose()


def test_the_shop_serves_its_pages_through_pgbouncer(clean_app, bouncer, stripe_sandbox,
                                                     tmp_path):
    product = make_product(make_store(), name="Through The Pooler")
    pooled = create_app({**app_config(bouncer.url, stripe_sandbox.url, tmp_path),
                         "DATABASE_POOLER": "pgbouncer"})
    client = pooled.test_client()
    statuses = [client.get(f"/products/{product.slug}").status_code for _ in range(RUNS)]
    assert statuses == [200] * RUNS
    assert b"Through The Pooler" in client.get(f"/products/{product.slug}").data
    with pooled.app_context():
        from shop.extensions import db

        assert run_repeatedly(db.engine, product.slug) == ["Through The Pooler"] * (2 * RUNS)
        db.engine.dispose()


def test_the_lock_timeout_holds_in_every_transaction_and_leaks_to_no_other_client(
        clean_app, bouncer, stripe_sandbox, tmp_path):
    plain = bouncer.url.replace("postgresql+psycopg", "postgresql")
    pooled = create_app({**app_config(bouncer.url, stripe_sandbox.url, tmp_path),
                         "DATABASE_POOLER": "pgbouncer", "DATABASE_LOCK_TIMEOUT_MS": 1234})
    with pooled.app_context(), psycopg.connect(plain, prepare_threshold=None) as busy:
        from shop.extensions import db

        # ``busy`` keeps one of the two server connections while the app connects on the
        # other; released last, it is the one PgBouncer hands the app's next transaction.
        busy.execute("SELECT 1")
        connection = db.engine.connect()
        connection.commit()
        busy.commit()
        seen = connection.scalar(text("SHOW lock_timeout"))
        connection.commit()
        connection.close()
        db.engine.dispose()
    assert seen == "1234ms"
    # Both server connections at once: a session-level SET would remain on one of them.
    with psycopg.connect(plain, prepare_threshold=None) as one, \
            psycopg.connect(plain, prepare_threshold=None) as two:
        settings = [c.execute("SHOW lock_timeout").fetchone()[0] for c in (one, two)]
        pids = {c.execute("SELECT pg_backend_pid()").fetchone()[0] for c in (one, two)}
    assert settings == ["0", "0"] and len(pids) == 2


def test_the_pooler_setting_is_checked(monkeypatch):
    monkeypatch.setenv("DATABASE_POOLER", "pgpool")
    with pytest.raises(ConfigError, match="DATABASE_POOLER must be one of none, pgbouncer"):
        create_app({"SHOP_ENV": "testing"})
    monkeypatch.setenv("DATABASE_POOLER", "pgbouncer")
    with pytest.raises(ConfigError, match="needs a postgresql\\+psycopg"):
        create_app({"SHOP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert engine_options("postgresql+psycopg://u@h/db", "pgbouncer") == {
        "connect_args": {"prepare_threshold": None}}
    assert engine_options("postgresql+psycopg://u@h/db", "none") == {}
