"""bench/load_checkout.py at reduced size: the invariants, never the timings.

On PostgreSQL it uses its own database beside TEST_DATABASE_URL's (``<name>_load``), since
the benchmark wipes what it runs on; on SQLite a file of its own."""

import json
import subprocess
import sys

import psycopg
import pytest
from sqlalchemy.engine import make_url

from ..services import ROOT, missing


def load_database(database_url: str, tmp_path) -> str:
    if not database_url.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'load.db'}"
    url = make_url(database_url)
    name = f"{url.database}_load"
    admin = url.set(drivername="postgresql", database="postgres")
    try:
        with psycopg.connect(admin.render_as_string(hide_password=False),
                             autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  (name,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        missing(f"cannot create the load-test database {name}: {exc}")
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.mark.timeout(600)
def test_checkout_burst_and_webhook_storm_keep_the_invariants(database_url, tmp_path):
    url = load_database(database_url, tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "bench.load_checkout", "--shoppers", "12", "--stock", "3",
         "--deliveries", "12", "--workers", "2", "--database-url", url],
        cwd=ROOT, capture_output=True, text=True, timeout=540)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    phases = {line["phase"]: line for line in lines}
    assert set(phases) == {"checkout", "webhook", "invariants"}, result.stderr[-3000:]
    checkout, webhook, invariants = (phases[p] for p in ("checkout", "webhook", "invariants"))
    assert (checkout["successes"], checkout["sold_out"], checkout["errors"]) == (3, 9, 0)
    assert webhook["outcomes"] == {"processed": 1, "duplicate": 11} and webhook["errors"] == 0
    assert invariants["ok"], invariants["checks"]
    assert result.returncode == 0
